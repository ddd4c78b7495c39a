"""The Evaluation page: how well search finds the right cases, per mode and language pair."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from casesearch.core.config import DEFAULT_QUESTIONS
from casesearch.eval.metrics import PRIMARY
from casesearch.eval.report import load_latest, worst_questions, write_report
from casesearch.eval.runner import run_evaluation
from casesearch.ui import access, common
from casesearch.ui.i18n import lang_name, t
from casesearch.ui.judgments import QRELS, QUERIES, judgments_dir

CURATED = DEFAULT_QUESTIONS


def _question_sets() -> dict[str, Path]:
    sets = {t("eval.set_curated"): CURATED}
    folder = judgments_dir(common.data_dir())
    if (folder / QUERIES).exists() and (folder / QRELS).exists():
        sets[t("eval.set_practitioners")] = folder
    return sets


def _pair_label(pair: str) -> str:
    if pair == "all":
        return t("eval.all_questions")
    q, _, c = pair.partition("->")
    return t("eval.pair", question=lang_name(q), case=lang_name(c)) if c else pair


def _short_pair(pair: str) -> str:
    q, _, c = pair.partition("->")
    return f"{q.upper()} → {c.upper()}" if c else t("eval.all")


def _metrics_table(report: dict) -> pd.DataFrame:
    rows = []
    for mode, pairs in report.get("metrics", {}).items():
        for pair, values in pairs.items():
            row = {
                t("eval.col_mode"): mode,
                t("eval.col_pair"): _pair_label(pair),
                "pair": _short_pair(pair),
            }
            row.update({k: v for k, v in values.items() if k != "questions"})
            row[t("eval.col_questions")] = int(values.get("questions", 0))
            rows.append(row)
    return pd.DataFrame(rows)


def _run(folder: Path) -> None:
    """Run the evaluation on ``folder`` with the live index and save it as the latest report."""
    service = common.service()
    with st.spinner(t("eval.running")):
        report = run_evaluation(service.searcher(), folder)
        write_report(report, data_dir=common.data_dir())
    st.toast(t("eval.finished"))


def page() -> None:
    """Render the Evaluation page."""
    st.title(t("eval.title"))
    st.markdown(t("eval.intro"))
    sets = _question_sets()
    run, chosen = False, None
    if not access.read_only():  # running writes a report into the data directory
        with st.form("run-eval", border=True):
            chosen = st.radio(t("eval.questions"), list(sets), horizontal=True)
            run = st.form_submit_button(t("eval.run"), type="secondary")
    if run and chosen is not None:
        try:
            _run(sets[chosen])
        except Exception as exc:
            common.log.exception("evaluation failed")
            st.error(t("eval.failed", error=exc))

    try:
        report = load_latest(common.data_dir())
    except Exception:
        common.log.exception("could not read the latest evaluation report")
        report = None
    if not report:
        st.info(t("eval.none"))
        return

    primary = PRIMARY
    config = report.get("config", {})
    st.caption(
        t(
            "eval.latest",
            name=report.get("name", "?"),
            questions=config.get("questions", "?"),
            created=str(report.get("created", "?")).replace("T", " "),
        )
    )
    for notice in report.get("notices", []):
        st.warning(str(notice))

    table = _metrics_table(report)
    if table.empty:
        st.info(t("eval.empty"))
        return
    st.subheader(t("eval.by_pair", measure=primary))
    chart = table.pivot_table(index="pair", columns=t("eval.col_mode"), values=primary)
    st.bar_chart(
        chart,
        stack=False,
        horizontal=True,
        height=320,
        x_label=t("eval.axis_pair"),
        y_label=primary,
    )
    st.caption(t("eval.pair_caption"))
    table = table.drop(columns=["pair"])
    fixed = (t("eval.col_mode"), t("eval.col_pair"), t("eval.col_questions"))
    measure_cols = [c for c in table.columns if c not in fixed]
    st.dataframe(
        table,
        hide_index=True,
        use_container_width=True,
        height=36 * (len(table) + 1) + 4,
        column_config={c: st.column_config.NumberColumn(format="%.3f") for c in measure_cols},
    )

    modes = list(report.get("metrics", {}))
    st.subheader(t("eval.worst"))
    mode = st.segmented_control(t("eval.col_mode"), modes, default=modes[0] if modes else None)
    if mode:
        titles = report.get("titles", {})
        rows = []
        for q in worst_questions(report, mode, 10):
            m = q["modes"][mode]
            expected = [titles.get(c, {}).get("title", c) for c in q.get("relevant", {})][:3]
            got = [titles.get(c, {}).get("title", c) for c in m.get("ranking", [])[:3]]
            rows.append(
                {
                    t("eval.col_question"): q["text"],
                    t("eval.col_lang"): lang_name(q["lang"]) if q.get("lang") else "",
                    primary: m["metrics"].get(primary, 0.0),
                    t("eval.col_first"): m.get("first_relevant_rank") or t("eval.not_found"),
                    t("eval.col_expected"): " · ".join(expected),
                    t("eval.col_found"): " · ".join(got),
                }
            )
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            use_container_width=True,
            column_config={primary: st.column_config.NumberColumn(format="%.3f")},
        )

    with st.expander(t("eval.significance")):
        sig = report.get("significance", [])
        if sig:
            st.dataframe(pd.DataFrame(sig), hide_index=True, use_container_width=True)
        else:
            st.caption(t("eval.no_tests"))
    if report.get("chart"):
        with st.expander(t("eval.chart")):
            st.image(str(report["chart"]))
    with st.expander(t("eval.raw")):
        st.code(json.dumps({k: v for k, v in report.items() if k != "questions"}, indent=1)[:20000])
