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
from casesearch.ui.judgments import QRELS, QUERIES, judgments_dir

CURATED = DEFAULT_QUESTIONS
PAIR_NAMES = {"all": "All questions"}


def _question_sets() -> dict[str, Path]:
    sets = {"Curated questions (eval/questions)": CURATED}
    folder = judgments_dir(common.data_dir())
    if (folder / QUERIES).exists() and (folder / QRELS).exists():
        sets["Practitioners' judgments (from the Search page)"] = folder
    return sets


def _pair_label(pair: str) -> str:
    if pair in PAIR_NAMES:
        return PAIR_NAMES[pair]
    q, _, c = pair.partition("->")
    return f"{q} question → {c} case" if c else pair


def _short_pair(pair: str) -> str:
    q, _, c = pair.partition("->")
    return f"{q.upper()} → {c.upper()}" if c else "All"


def _metrics_table(report: dict) -> pd.DataFrame:
    rows = []
    for mode, pairs in report.get("metrics", {}).items():
        for pair, values in pairs.items():
            row = {"Mode": mode, "Language pair": _pair_label(pair), "pair": _short_pair(pair)}
            row.update({k: v for k, v in values.items() if k != "questions"})
            row["Questions"] = int(values.get("questions", 0))
            rows.append(row)
    return pd.DataFrame(rows)


def _run(folder: Path) -> None:
    """Run the evaluation on ``folder`` with the live index and save it as the latest report."""
    service = common.service()
    with st.spinner("Searching every labelled question in each mode… (about a minute)"):
        report = run_evaluation(service.searcher(), folder)
        write_report(report, data_dir=common.data_dir())
    st.toast("Evaluation finished.")


def page() -> None:
    """Render the Evaluation page."""
    st.title("Evaluation")
    st.markdown(
        "How often does search put the right cases at the top? Labelled questions (which "
        "cases answer them) are searched in each mode, and the rankings are scored. "
        "**nDCG@10** (0–1, higher is better) rewards relevant cases near the top; "
        "**R@10** is the share of relevant cases found in the first ten."
    )
    sets = _question_sets()
    run, chosen = False, None
    if not access.read_only():  # running writes a report into the data directory
        with st.form("run-eval", border=True):
            chosen = st.radio("Questions", list(sets), horizontal=True)
            run = st.form_submit_button("Run the evaluation now", type="secondary")
    if run and chosen is not None:
        try:
            _run(sets[chosen])
        except Exception as exc:
            common.log.exception("evaluation failed")
            st.error(f"The evaluation could not run: {exc}")

    try:
        report = load_latest(common.data_dir())
    except Exception:
        common.log.exception("could not read the latest evaluation report")
        report = None
    if not report:
        st.info("No evaluation has been run on this index yet — press the button above.")
        return

    primary = PRIMARY
    config = report.get("config", {})
    st.caption(
        f"Latest report: **{report.get('name', '?')}**, {config.get('questions', '?')} "
        f"questions, run {str(report.get('created', '?')).replace('T', ' ')}."
    )
    for notice in report.get("notices", []):
        st.warning(str(notice))

    table = _metrics_table(report)
    if table.empty:
        st.info("The report holds no figures.")
        return
    st.subheader(f"{primary} by mode and language pair")
    chart = table.pivot_table(index="pair", columns="Mode", values=primary)
    st.bar_chart(
        chart, stack=False, horizontal=True, height=320, x_label="question → case", y_label=primary
    )
    st.caption("DA → EN: Danish questions, English cases that answer them; and so on.")
    table = table.drop(columns=["pair"])
    measure_cols = [c for c in table.columns if c not in ("Mode", "Language pair", "Questions")]
    st.dataframe(
        table,
        hide_index=True,
        use_container_width=True,
        height=36 * (len(table) + 1) + 4,
        column_config={c: st.column_config.NumberColumn(format="%.3f") for c in measure_cols},
    )

    modes = list(report.get("metrics", {}))
    st.subheader("Questions search answers worst")
    mode = st.segmented_control("Mode", modes, default=modes[0] if modes else None)
    if mode:
        titles = report.get("titles", {})
        rows = []
        for q in worst_questions(report, mode, 10):
            m = q["modes"][mode]
            expected = [titles.get(c, {}).get("title", c) for c in q.get("relevant", {})][:3]
            got = [titles.get(c, {}).get("title", c) for c in m.get("ranking", [])[:3]]
            rows.append(
                {
                    "Question": q["text"],
                    "Lang": q.get("lang") or "",
                    primary: m["metrics"].get(primary, 0.0),
                    "First relevant at": m.get("first_relevant_rank") or "not in top 20",
                    "Should find": " · ".join(expected),
                    "Found first": " · ".join(got),
                }
            )
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            use_container_width=True,
            column_config={primary: st.column_config.NumberColumn(format="%.3f")},
        )

    with st.expander("Significance of differences between modes"):
        sig = report.get("significance", [])
        if sig:
            st.dataframe(pd.DataFrame(sig), hide_index=True, use_container_width=True)
        else:
            st.caption("No tests in this report.")
    if report.get("chart"):
        with st.expander("Chart from the report file"):
            st.image(str(report["chart"]))
    with st.expander("Raw report (JSON)"):
        st.code(json.dumps({k: v for k, v in report.items() if k != "questions"}, indent=1)[:20000])
