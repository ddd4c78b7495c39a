"""The Corpus page: browse the cases, read one in full, add new case files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from casesearch.ingest.model import Case
from casesearch.ui import access, common
from casesearch.ui.progress import phase_fraction, phase_label
from casesearch.ui.render import (
    collection_label,
    language_name,
    link_html,
    literal,
    safe_url,
    short,
)
from casesearch.ui.search_page import _lang_badge, _source_label
from casesearch.ui.service import UPLOAD_TYPES, uploads_dir


def full_text_html(case: Case) -> str:
    """The case text with its section titles as headings; every piece of text escaped."""
    text = case.text
    sections = sorted((s.start, s.end, s.title) for s in case.sections)
    out, pos = [], 0
    for start, end, title in sections:
        if start < pos:
            continue
        before = text[pos:start]
        stripped = before.rstrip()
        if title and stripped.endswith(title):
            before = stripped[: -len(title)]
        out.append(literal(before.strip("\n")))
        out.append(f'<div class="cs-section">{literal(title)}</div>')
        out.append(literal(text[start:end].strip("\n")))
        pos = end
    out.append(literal(text[pos:].strip("\n")))
    return f'<div class="cs-fulltext">{"".join(out)}</div>'


def _show_case(case: Case) -> None:
    st.markdown(
        f'<div class="cs-head"><span class="cs-title">{literal(case.title)}</span>'
        f'</div><div class="cs-meta" style="margin-left:0">{_lang_badge(case.lang)}'
        f"<span>{literal(collection_label(case.collection))}</span></div>",
        unsafe_allow_html=True,
    )
    sources = [_source_label(case.source)]
    sources += [_source_label(s) for s in case.also_sources]
    meta = [
        f"Source file{'s' if len(sources) > 1 else ''}: "
        + ", ".join(f"<code>{literal(s)}</code>" for s in sources)
    ]
    url = safe_url(case.url)
    if url:
        meta.insert(0, f"Web page: {link_html(url, short(url, 80))}")
    st.markdown(f'<div class="cs-muted">{" · ".join(meta)}</div>', unsafe_allow_html=True)
    fields = case.fields
    if fields:
        with st.expander(f"Template fields ({len(fields)})"):
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Field": k.replace("_", " ").capitalize(), "Value": v}
                        for k, v in fields.items()
                    ]
                ),
                hide_index=True,
                use_container_width=True,
            )
    st.markdown(full_text_html(case), unsafe_allow_html=True)


def _upload_section() -> None:
    if access.read_only():
        st.info("This app is read-only: case files are added by its operator.")
        return
    service = common.service()
    st.subheader("Add case files")
    st.caption(
        "Text, Markdown, HTML, PDF, Word (.docx), or a table export (.csv / .jsonl with one "
        "case per row). Files are kept in the data directory and searchable for everyone as "
        "soon as they are indexed. A file with the same name as an earlier upload replaces it."
    )
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader("Case files", type=list(UPLOAD_TYPES), accept_multiple_files=True)
        go = st.form_submit_button("Add to the search index", type="primary")
    if not go:
        return
    if not files:
        st.info("Choose one or more files first.")
        return
    bar = st.progress(0.0, text="Saving files…")

    def progress(phase: str, done: int, total: int) -> None:
        bar.progress(phase_fraction(phase, done, total), text=phase_label(phase, done, total))

    try:
        saved, result = service.add_files([(f.name, f.getvalue()) for f in files], progress)
    except Exception as exc:
        common.log.exception("upload failed")
        bar.empty()
        st.error(f"The files could not be added: {exc}")
        return
    bar.empty()
    folder = uploads_dir(common.data_dir()).resolve()
    saved_paths = {str((folder / name).resolve()) for name in saved}
    skipped = [s for s in result.skipped if str(Path(s["path"]).resolve()) in saved_paths]
    searcher = service.searcher()
    added = [
        c
        for c in searcher.cases
        if str(Path(c.source).resolve()) in saved_paths
        or any(str(Path(s).resolve()) in saved_paths for s in c.also_sources)
    ]
    if added:
        st.success(
            f"Added {len(added)} case{'s' if len(added) != 1 else ''} from {len(saved)} "
            f"file{'s' if len(saved) != 1 else ''} in {result.seconds:.0f} s. "
            "They can be found on the Search page now."
        )
        st.markdown(
            "".join(f"<div>• {literal(c.title)} {_lang_badge(c.lang)}</div>" for c in added),
            unsafe_allow_html=True,
        )
    for item in skipped:
        st.warning(f"{Path(item['path']).name} was not added: {item['reason']}")
    if not added and not skipped:
        st.info("The files were read, but they hold no new cases (already in the corpus?).")


def page() -> None:
    """Render the Corpus page."""
    service = common.service()
    searcher = service.searcher()
    cases = searcher.cases
    st.title("Corpus")
    langs = sorted({c.lang for c in cases})
    by_lang = {code: sum(1 for c in cases if c.lang == code) for code in langs}
    cols = st.columns(3)
    cols[0].metric("Cases", len(cases))
    cols[1].metric("Passages indexed", len(searcher.chunks))
    cols[2].metric("Collections", len(searcher.collections))
    st.caption(
        "By language: "
        + " · ".join(f"{language_name(code)} {n}" for code, n in sorted(by_lang.items()))
    )

    browse, add = st.tabs(["Browse cases", "Add case files"])
    with add:
        _upload_section()
    with browse:
        left, mid, right = st.columns([1, 2, 2])
        lang = left.selectbox(
            "Language",
            ["any", *langs],
            format_func=lambda c: "Any" if c == "any" else language_name(c),
            key="corpus_lang",
        )
        chosen = mid.multiselect(
            "Collection",
            searcher.collections,
            format_func=lambda c: short(c, 50),
            key="corpus_coll",
            placeholder="All collections",
        )
        needle = right.text_input("Title contains", key="corpus_title").casefold().strip()
        shown = [
            c
            for c in cases
            if (lang == "any" or c.lang == lang)
            and (not chosen or c.collection in chosen)
            and (not needle or needle in c.title.casefold())
        ]
        table = pd.DataFrame(
            [
                {
                    "Title": c.title,
                    "Language": language_name(c.lang),
                    "Collection": collection_label(c.collection),
                    "Words": len(c.text.split()),
                    "Source": _source_label(c.source),
                }
                for c in shown
            ]
        )
        st.caption(f"{len(shown)} of {len(cases)} cases")
        if not table.empty:
            st.dataframe(table, hide_index=True, use_container_width=True, height=280)
        if not shown:
            st.info("No case matches these filters.")
            return
        ids = [c.id for c in shown]
        titles = {c.id: c.title for c in shown}
        wanted = st.session_state.get("corpus_case")
        case_id = st.selectbox(
            "Read a case",
            ids,
            index=ids.index(wanted) if wanted in ids else 0,
            format_func=lambda i: short(titles.get(i or "", i or ""), 100),
        )
        st.session_state["corpus_case"] = case_id
        case = searcher.case(case_id)
        if case is not None:
            with st.container(border=True):
                _show_case(case)
