"""The Case page: one case, where its excerpt came from, and the cases most like it.

Opened from a result (``case?case=<id>&chunk=<passage id>``), it shows the passage that
matched inside its neighbouring text and section, the source file to download, the whole
text, and "more like this". The address is a link a colleague can open.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import streamlit as st

from casesearch.index.search.response import SearchResult
from casesearch.index.search.searcher import QueryError, Searcher
from casesearch.ingest.model import Case
from casesearch.ui import common
from casesearch.ui.corpus_page import full_text_html
from casesearch.ui.i18n import t
from casesearch.ui.render import collection_label, link_html, literal, safe_url, short
from casesearch.ui.search_page import case_params, context_html, lang_badge, source_label

#: Cases listed under "more like this".
SIMILAR = 6


def _source_files(case: Case) -> None:
    """The case's source files, each downloadable while it is on disk."""
    sources = [case.source, *case.also_sources]
    st.markdown(f"**{literal(t('case.source_files'))}**", unsafe_allow_html=True)
    for i, source in enumerate(sources):
        path = Path(source)
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.markdown(f"<code>{literal(source_label(source))}</code>", unsafe_allow_html=True)
        if path.is_file():
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            right.download_button(
                t("case.download"),
                data=path.read_bytes(),
                file_name=path.name,
                mime=mime,
                key=f"source-{i}",
                icon=":material/download:",
                on_click="ignore",
            )
        else:
            right.caption(t("case.source_missing"))


def _passage(searcher: Searcher, case: Case, chunk_id: str | None) -> None:
    """The passage a result showed, in its section and its neighbouring text."""
    row = searcher.chunk_by_id(chunk_id) if chunk_id else None
    if row is None or searcher.cases[int(searcher.chunk_case[row])].id != case.id:
        return
    chunk = searcher.chunks.row(row)
    st.subheader(t("case.passage"))
    if chunk.section:
        st.markdown(
            f'<div class="cs-muted">{literal(t("card.section", section=chunk.section))}</div>',
            unsafe_allow_html=True,
        )
    st.markdown(context_html(case.text, chunk.start, chunk.end, None), unsafe_allow_html=True)
    st.caption(t("case.passage_caption"))


def _similar(searcher: Searcher, case: Case) -> None:
    st.subheader(t("case.similar"))
    try:
        response = common.service().similar(case.id, SIMILAR)
    except QueryError as exc:
        # The searcher's reason is in English; the visitor gets it in the interface language.
        common.log.info("question not searched: %s", exc)
        st.warning(t("search.cannot_search"))
        return
    if not response.results:
        st.info(t("like.none"))
        return
    for result in response.results:
        _similar_line(result)


def _similar_line(result: SearchResult) -> None:
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.markdown(
        f'{lang_badge(result.lang)} <span class="cs-title-small">{literal(result.title)}</span>',
        unsafe_allow_html=True,
    )
    page = common.PAGES.get("case")
    if page is not None:
        with right:
            st.page_link(
                page,
                label=t("card.open_case"),
                icon=":material/article:",
                query_params=case_params(result),
            )


def page() -> None:
    """Render the Case page."""
    searcher = common.service().searcher()
    case_id = st.query_params.get("case") or st.session_state.get("corpus_case")
    case = searcher.case(str(case_id)) if case_id else None
    if case is None:
        st.title(t("case.title"))
        st.info(t("case.none") if not case_id else t("case.gone"))
        return
    st.query_params["case"] = case.id
    st.session_state["corpus_case"] = case.id
    st.title(case.title)
    collection = collection_label(case.collection) or t("collection.none")
    st.markdown(
        f'<div class="cs-meta" style="margin-left:0">{lang_badge(case.lang)}'
        f"<span>{literal(collection)}</span></div>",
        unsafe_allow_html=True,
    )
    url = safe_url(case.url)
    if url:
        st.markdown(
            f'<div class="cs-muted">{literal(t("case.web_page"))}: '
            f"{link_html(url, short(url, 80))}</div>",
            unsafe_allow_html=True,
        )
    _passage(searcher, case, st.query_params.get("chunk"))
    _source_files(case)
    with st.expander(t("case.full_text"), expanded=not st.query_params.get("chunk")):
        st.markdown(full_text_html(case), unsafe_allow_html=True)
    _similar(searcher, case)
    st.caption(t("case.link_hint"))
