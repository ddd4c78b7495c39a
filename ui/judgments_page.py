"""The Judgments page: what practitioners marked as helpful, ready to download or evaluate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from casesearch.ui import common
from casesearch.ui.i18n import lang_name, t
from casesearch.ui.judgments import GRADES, LOG, QRELS, QUERIES, JudgmentStore, judgments_dir


def page() -> None:
    """Render the Judgments page."""
    store = JudgmentStore(common.data_dir())
    st.title(t("judgments.title"))
    st.markdown(t("judgments.intro"))
    latest = store.latest()
    if not latest:
        st.info(t("judgments.none"))
        return

    titles: dict[str, str] = {}
    try:
        searcher = common.service().searcher()
        titles = {c.id: c.title for c in searcher.cases}
    except Exception:
        common.log.exception("index not available for judgment titles")

    questions = {j.query_id for j in latest}
    counts = {grade: sum(1 for j in latest if j.grade == grade) for grade in GRADES}
    cols = st.columns(5)
    cols[0].metric(t("judgments.questions"), len(questions))
    cols[1].metric(t("judgments.judged"), len(latest))
    for col, grade in zip(cols[2:], GRADES, strict=True):
        col.metric(t(f"grade.{grade}"), counts[grade])

    rows = [
        {
            t("judgments.col_question"): j.query,
            t("judgments.col_case"): titles.get(j.case_id) or j.title or j.case_id,
            t("judgments.col_judgment"): t(f"grade.{j.grade}") if j.grade in GRADES else j.grade,
            t("judgments.col_grade"): j.grade,
            t("judgments.col_case_language"): lang_name(j.case_lang) if j.case_lang else "",
            t("judgments.col_question_language"): lang_name(j.query_lang) if j.query_lang else "",
            t("judgments.col_when"): j.time.replace("T", " ").replace("+00:00", ""),
            t("judgments.col_case_id"): j.case_id,
        }
        for j in sorted(latest, key=lambda j: j.time, reverse=True)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)

    folder = judgments_dir(common.data_dir())
    st.subheader(t("judgments.download"))
    left, mid, right = st.columns(3)
    left.download_button(
        t("judgments.zip"),
        data=store.export_zip(),
        file_name="casesearch-judgments.zip",
        mime="application/zip",
        type="primary",
        help=t("judgments.zip_help"),
    )
    for col, name, label, mime in (
        (mid, QRELS, QRELS, "text/tab-separated-values"),
        (right, LOG, t("judgments.log_file", name=LOG), "application/jsonl"),
    ):
        path = folder / name
        if path.exists():
            col.download_button(
                label, data=path.read_bytes(), file_name=path.name, mime=mime, key=f"dl-{name}"
            )
    st.caption(t("judgments.stored", folder=folder, files=f"{QUERIES}, {QRELS}, {LOG}"))
