"""The Judgments page: what practitioners marked as helpful, ready to download or evaluate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from casesearch.ui import common
from casesearch.ui.judgments import GRADES, LOG, QRELS, QUERIES, JudgmentStore, judgments_dir
from casesearch.ui.render import language_name


def page() -> None:
    """Render the Judgments page."""
    store = JudgmentStore(common.data_dir())
    st.title("Judgments")
    st.markdown(
        "Every time someone marks a search result as *answers the question*, *useful "
        "background* or *not relevant*, it is stored here with the question and the time. "
        "The files use the same layout as the curated evaluation questions, so these real "
        "questions can be scored on the **Evaluation** page or added to the question set."
    )
    latest = store.latest()
    if not latest:
        st.info(
            "No judgments yet. Search for something on the **Search** page and use the "
            "“Does this case help with your question?” buttons under each result."
        )
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
    cols[0].metric("Questions", len(questions))
    cols[1].metric("Judged results", len(latest))
    for col, grade in zip(cols[2:], GRADES, strict=True):
        col.metric(GRADES[grade], counts[grade])

    rows = [
        {
            "Question": j.query,
            "Case": titles.get(j.case_id) or j.title or j.case_id,
            "Judgment": GRADES.get(j.grade, str(j.grade)),
            "Grade": j.grade,
            "Case language": language_name(j.case_lang) if j.case_lang else "",
            "Question language": language_name(j.query_lang) if j.query_lang else "",
            "When (UTC)": j.time.replace("T", " ").replace("+00:00", ""),
            "Case id": j.case_id,
        }
        for j in sorted(latest, key=lambda j: j.time, reverse=True)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)

    folder = judgments_dir(common.data_dir())
    st.subheader("Download")
    left, mid, right = st.columns(3)
    left.download_button(
        "All judgment files (.zip)",
        data=store.export_zip(),
        file_name="casesearch-judgments.zip",
        mime="application/zip",
        type="primary",
        help="queries.jsonl and qrels/test.tsv (BEIR layout) plus the time-stamped log",
    )
    for col, name, label, mime in (
        (mid, QRELS, "qrels/test.tsv", "text/tab-separated-values"),
        (right, LOG, "judgments.jsonl (log)", "application/jsonl"),
    ):
        path = folder / name
        if path.exists():
            col.download_button(
                label, data=path.read_bytes(), file_name=path.name, mime=mime, key=f"dl-{name}"
            )
    st.caption(
        f"Stored in `{folder}` ({QUERIES}, {QRELS}, {LOG}). Earlier grades for the same question "
        "and case are kept in the log; the BEIR files hold the latest one."
    )
