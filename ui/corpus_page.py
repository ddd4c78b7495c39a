"""The Corpus page: browse the cases, read one in full, add new case files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from casesearch.ingest.model import Case
from casesearch.ui import access, common
from casesearch.ui.i18n import current, lang_name, t
from casesearch.ui.progress import phase_fraction, phase_label
from casesearch.ui.render import (
    collection_label,
    link_html,
    literal,
    safe_url,
    short,
)
from casesearch.ui.search_page import lang_badge, source_label
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
        f'</div><div class="cs-meta" style="margin-left:0">{lang_badge(case.lang)}'
        f"<span>{literal(collection_label(case.collection) or t('collection.none'))}</span></div>",
        unsafe_allow_html=True,
    )
    sources = [source_label(case.source)]
    sources += [source_label(s) for s in case.also_sources]
    label = t("case.source_files") if len(sources) > 1 else t("case.source_file")
    meta = [f"{literal(label)}: " + ", ".join(f"<code>{literal(s)}</code>" for s in sources)]
    url = safe_url(case.url)
    if url:
        meta.insert(0, f"{literal(t('case.web_page'))}: {link_html(url, short(url, 80))}")
    st.markdown(f'<div class="cs-muted">{" · ".join(meta)}</div>', unsafe_allow_html=True)
    fields = case.fields
    if fields:
        with st.expander(t("corpus.fields", n=len(fields))):
            st.dataframe(
                pd.DataFrame(
                    [
                        {t("corpus.field"): k.replace("_", " ").capitalize(), t("corpus.value"): v}
                        for k, v in fields.items()
                    ]
                ),
                hide_index=True,
                use_container_width=True,
            )
    st.markdown(full_text_html(case), unsafe_allow_html=True)


def _upload_section() -> None:
    if access.read_only():
        st.info(t("upload.read_only"))
        return
    service = common.service()
    st.subheader(t("upload.title"))
    st.caption(t("upload.caption"))
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            t("upload.files"), type=list(UPLOAD_TYPES), accept_multiple_files=True
        )
        go = st.form_submit_button(t("upload.button"), type="primary")
    if not go:
        return
    if not files:
        st.info(t("upload.choose"))
        return
    bar = st.progress(0.0, text=t("upload.saving"))

    def progress(phase: str, done: int, total: int) -> None:
        bar.progress(phase_fraction(phase, done, total), text=phase_label(phase, done, total))

    try:
        saved, result = service.add_files([(f.name, f.getvalue()) for f in files], progress)
    except Exception as exc:
        common.log.exception("upload failed")
        bar.empty()
        st.error(t("upload.failed", error=exc))
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
            t(
                "upload.added",
                cases=len(added),
                files=len(saved),
                seconds=f"{result.seconds:.0f}",
            )
        )
        st.markdown(
            "".join(f"<div>• {literal(c.title)} {lang_badge(c.lang)}</div>" for c in added),
            unsafe_allow_html=True,
        )
    for item in skipped:
        st.warning(t("upload.skipped", name=Path(item["path"]).name, reason=item["reason"]))
    if not added and not skipped:
        st.info(t("upload.nothing_new"))


def page() -> None:
    """Render the Corpus page."""
    service = common.service()
    searcher = service.searcher()
    cases = searcher.cases
    st.title(t("corpus.title"))
    langs = sorted({c.lang for c in cases})
    by_lang = {code: sum(1 for c in cases if c.lang == code) for code in langs}
    cols = st.columns(3)
    cols[0].metric(t("corpus.cases"), len(cases))
    cols[1].metric(t("corpus.passages"), len(searcher.chunks))
    cols[2].metric(t("corpus.collections"), len(searcher.collections))
    st.caption(
        t("corpus.by_language")
        + " "
        + " · ".join(f"{lang_name(code)} {n}" for code, n in sorted(by_lang.items()))
    )

    browse, add = st.tabs([t("corpus.browse"), t("upload.title")])
    with add:
        _upload_section()
    with browse:
        left, mid, right = st.columns([1, 2, 2])
        lang = left.selectbox(
            t("corpus.language"),
            ["any", *langs],
            format_func={"any": t("corpus.any"), **{c: lang_name(c) for c in langs}}.__getitem__,
            key="corpus_lang",
        )
        chosen = mid.multiselect(
            t("search.collection"),
            searcher.collections,
            format_func=lambda c: short(c, 50),
            key="corpus_coll",
            placeholder=t("search.all_collections"),
        )
        needle = right.text_input(t("corpus.title_contains"), key="corpus_title").casefold().strip()
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
                    t("corpus.col_title"): c.title,
                    t("corpus.language"): lang_name(c.lang),
                    t("search.collection"): collection_label(c.collection),
                    t("corpus.col_words"): len(c.text.split()),
                    t("corpus.col_source"): source_label(c.source),
                }
                for c in shown
            ]
        )
        st.caption(t("corpus.shown", shown=len(shown), total=len(cases)))
        if not table.empty:
            st.dataframe(table, hide_index=True, use_container_width=True, height=280)
        if not shown:
            st.info(t("corpus.no_match"))
            return
        ids = [c.id for c in shown]
        titles = {c.id: c.title for c in shown}
        wanted = st.session_state.get("corpus_case")
        case_id = st.selectbox(
            t("corpus.read"),
            ids,
            index=ids.index(wanted) if wanted in ids else 0,
            format_func=lambda i: short(titles.get(i or "", i or ""), 100),
        )
        st.session_state["corpus_case"] = case_id
        case = searcher.case(case_id)
        if case is not None:
            page = common.PAGES.get("case")
            if page is not None:
                st.page_link(
                    page,
                    label=t("corpus.open_case_page"),
                    icon=":material/article:",
                    query_params={"case": case.id, "lang": current()},
                )
            with st.container(border=True):
                _show_case(case)
