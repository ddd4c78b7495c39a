"""The Search page: ask a question, read the matching cases, keep and share them.

Every search is a link (:mod:`casesearch.ui.link_state`); every result says how likely it is
to answer the question (the calibrated relevance of
:mod:`casesearch.index.search.relevance`), and a list where nothing is likely to answer says
so. The list can be downloaded (CSV, Excel, Markdown), and any case leads to the cases most
like it and to its own page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from casesearch.core.config import DEFAULT_CORPUS
from casesearch.index.search import export
from casesearch.index.search.response import SearchFilters, SearchResponse, SearchResult
from casesearch.index.search.searcher import QueryError, Searcher
from casesearch.ui import access, common, link_state
from casesearch.ui.i18n import current, lang_list, lang_name, t
from casesearch.ui.judgments import GRADES, Judgment, JudgmentStore, query_id
from casesearch.ui.messages import EXAMPLES
from casesearch.ui.render import (
    collection_label,
    context_window,
    link_html,
    literal,
    marked_html,
    safe_url,
    short,
    tidy_excerpt,
)
from casesearch.ui.service import SearchRequest

MODES = ("hybrid", "dense", "bm25")

#: Sidebar settings kept when the user visits another page and comes back.
SETTING_KEYS = ("opt_lang", "opt_collections", "opt_field", "opt_field_value", "opt_mode", "opt_k")

EXCERPT_CHARS = 650
#: Dots shown for each match word.
DOTS = {"strong": 3, "good": 2, "weak": 1}


# --------------------------------------------------------------------------- state
def _ask(question: str) -> None:
    """Callback of the example buttons: fill the box and search."""
    st.session_state["query_input"] = question
    st.session_state["query"] = question
    st.session_state.pop("like", None)


def _more_like(case_id: str) -> None:
    """Callback of "More like this": show the cases closest to this one."""
    st.session_state["like"] = case_id


def _back_to_question() -> None:
    st.session_state.pop("like", None)


def _keep_settings() -> None:
    """Re-assign sidebar values so Streamlit does not drop them while another page shows."""
    for key in SETTING_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if "query_input" not in st.session_state:
        st.session_state["query_input"] = st.session_state.get("query", "")


def _apply_link(searcher: Searcher) -> None:
    """When the page was opened from a link, its search decides the widgets' values."""
    state = link_state.changed_from_outside()
    if state is None:
        return
    if state.query:
        st.session_state["query"] = state.query
        st.session_state["query_input"] = state.query
    if state.like and searcher.case(state.like) is not None:
        st.session_state["like"] = state.like
    else:
        st.session_state.pop("like", None)
    st.session_state["opt_mode"] = state.mode if state.mode in MODES else "hybrid"
    st.session_state["opt_k"] = min(30, max(3, state.k))
    lang = state.filters.lang
    st.session_state["opt_lang"] = lang if lang in searcher.languages else "any"
    st.session_state["opt_collections"] = [
        c for c in state.filters.collections if c in searcher.collections
    ]
    st.session_state["opt_field"] = ""
    st.session_state.pop("opt_field_value", None)
    if state.filters.fields:
        key, value = state.filters.fields[0]
        values = searcher.field_values()
        if key in values:
            st.session_state["opt_field"] = key
            if len(values[key]) > 30 or value in values[key]:
                st.session_state["opt_field_value"] = value


def _sidebar(searcher: Searcher) -> tuple[SearchFilters, str, int]:
    """Filters and search settings; returns (filters, mode, number of results)."""
    sb = st.sidebar
    sb.header(t("search.filters"))
    langs = [code for code in searcher.languages if code != "unknown"]
    # Labels are looked up now: Streamlit may format options outside this script run.
    lang_labels = {"any": t("search.any_language")}
    lang_labels.update({c: t("search.only_language", language=lang_name(c)) for c in langs})
    lang = sb.radio(
        t("search.case_language"),
        options=["any", *langs],
        format_func=lang_labels.__getitem__,
        key="opt_lang",
        help=t("search.case_language_help"),
    )
    collections = sb.multiselect(
        t("search.collection"),
        options=searcher.collections,
        format_func={
            c: short(collection_label(c) or t("collection.none"), 50) for c in searcher.collections
        }.__getitem__,
        key="opt_collections",
        placeholder=t("search.all_collections"),
        help=t("search.collection_help"),
    )
    fields: tuple[tuple[str, str], ...] = ()
    values = searcher.field_values()
    if values:
        field = sb.selectbox(
            t("search.field"),
            options=["", *values],
            format_func={
                "": t("search.no_field"),
                **{f: f.replace("_", " ").capitalize() for f in values},
            }.__getitem__,
            key="opt_field",
            help=t("search.field_help"),
        )
        if field:
            options = values[field]
            if len(options) <= 30:
                value = sb.selectbox(
                    t("search.field_value"),
                    options=options,
                    format_func=lambda v: short(v, 60),
                    key="opt_field_value",
                )
            else:
                value = sb.text_input(t("search.field_contains"), key="opt_field_value")
            if value:
                fields = ((field, value),)
    sb.header(t("search.settings"))
    st.session_state.setdefault("opt_mode", "hybrid")
    mode = sb.radio(
        t("search.mode"),
        options=list(MODES),
        format_func={m: t(f"mode.{m}") for m in MODES}.__getitem__,
        key="opt_mode",
        help=t("search.mode_help"),
    )
    st.session_state.setdefault("opt_k", 10)
    k = sb.slider(t("search.number"), min_value=3, max_value=30, key="opt_k")
    filters = SearchFilters(
        lang=None if lang == "any" else lang,
        collections=tuple(collections),
        fields=fields,
    )
    return filters, str(mode), int(k)


# --------------------------------------------------------------------------- pieces
def lang_badge(code: str) -> str:
    css = f"cs-lang-{code}" if code in ("da", "en") else "cs-lang-other"
    name = lang_name(code)  # "dansk" in a sentence, "Dansk" on a badge
    return f'<span class="cs-badge {css}">{literal(name[:1].upper() + name[1:])}</span>'


def source_label(source: str) -> str:
    """A source path people can recognise: relative to the corpus or the data directory."""
    path = Path(source)
    for base, prefix in ((DEFAULT_CORPUS, "corpus/"), (common.data_dir(), "")):
        try:
            return prefix + str(path.resolve().relative_to(base.resolve()))
        except (ValueError, OSError):
            continue
    return source


def match_html(result: SearchResult) -> str:
    """The result's match word with dots and, when calibrated, its probability of answering."""
    if result.match is None or result.relevance is None:
        return (
            f'<span class="cs-match cs-m1" title="{literal(t("match.uncalibrated_help"))}">'
            f"{literal(t('match.uncalibrated'))}</span>"
        )
    dots = DOTS.get(result.match, 1)
    dot_text = "●" * dots + "○" * (3 - dots)
    label = t(f"match.{result.match}")
    chance = t("match.chance", percent=f"{result.relevance:.0%}")
    return (
        f'<span class="cs-match cs-m{dots}" title="{literal(t("match.help"))}">'
        f'<span class="cs-dots">{dot_text}</span> {literal(label)}'
        f' <span class="cs-chance">· {literal(chance)}</span></span>'
    )


def header_html(result: SearchResult, show_match: bool = True) -> str:
    where = [lang_badge(result.lang)]
    if show_match:
        where.append(match_html(result))
    collection = collection_label(result.collection) or t("collection.none")
    where.append(
        f'<span title="{literal(t("search.collection"))}">{literal(short(collection, 60))}</span>'
    )
    if result.section:
        section = t("card.section", section=short(result.section, 60))
        where.append(f"<span>· {literal(section)}</span>")
    return (
        f'<div class="cs-head"><span class="cs-rank">{result.rank}.</span>'
        f'<span class="cs-title">{literal(result.title)}</span></div>'
        f'<div class="cs-meta">{" ".join(where)}</div>'
    )


def excerpt_html(result: SearchResult) -> str:
    """The passage that matched, trimmed around its best sentence, which is highlighted."""
    text, hl = tidy_excerpt(result.excerpt, result.highlight)
    start, end = 0, len(text)
    if len(text) > EXCERPT_CHARS:
        centre = (hl[0] + hl[1]) // 2 if hl else 0
        start = max(0, min(centre - EXCERPT_CHARS // 2, len(text) - EXCERPT_CHARS))
        if hl and hl[1] - hl[0] > EXCERPT_CHARS:
            start = hl[0]
        end = min(len(text), start + EXCERPT_CHARS)
        if start > 0:
            space = text.find(" ", start, start + 40)
            start = space + 1 if space >= 0 else start
        if end < len(text):
            space = text.rfind(" ", end - 40, end)
            end = space if space > 0 else end
    piece = text[start:end]
    spans = []
    if hl:
        s, e = max(hl[0] - start, 0), min(hl[1] - start, len(piece))
        if e > s:
            spans.append((s, e, "cs-hl"))
    body = marked_html(piece, spans)
    lead = "… " if start > 0 else ""
    tail = " …" if end < len(text) else ""
    return f'<div class="cs-excerpt">{lead}{body}{tail}</div>'


def context_html(text: str, start: int, end: int, highlight: tuple[int, int] | None) -> str:
    """More of the case around a passage: the passage tinted, its best sentence marked."""
    lo, hi = context_window(text, start, end)
    a, b = start - lo, end - lo
    spans = [(a, b, "cs-chunk")]
    if highlight:
        hs, he = highlight
        # Marks cannot nest: split the passage around the sentence.
        spans = [(a, a + hs, "cs-chunk"), (a + hs, a + he, "cs-hl"), (a + he, b, "cs-chunk")]
    lead = "… " if lo > 0 else ""
    tail = " …" if hi < len(text) else ""
    return f'<div class="cs-context">{lead}{marked_html(text[lo:hi], spans)}{tail}</div>'


def case_params(result: SearchResult) -> dict[str, str]:
    """Query parameters of a result's case page (the case, the passage, the language)."""
    return {"case": result.case_id, "chunk": result.chunk_id, "lang": current()}


def case_page_link(result: SearchResult) -> None:
    """A link to the result's case page (opens at the passage that matched)."""
    page = common.PAGES.get("case")
    if page is not None:
        st.page_link(
            page,
            label=t("card.open_case"),
            icon=":material/article:",
            query_params=case_params(result),
        )


def _context(searcher: Searcher, result: SearchResult) -> tuple[DeltaGenerator, str] | None:
    """Section, surrounding text and source of a result; returns the text's slot and text."""
    case = searcher.case(result.case_id)
    if case is None:
        st.caption(t("card.case_gone"))
        return None
    text = case.text
    if result.section:
        st.markdown(
            f'<div class="cs-muted">{literal(t("card.section", section=result.section))}</div>',
            unsafe_allow_html=True,
        )
    slot = st.empty()
    slot.markdown(
        context_html(text, result.chunk_start, result.chunk_end, result.highlight),
        unsafe_allow_html=True,
    )
    url = safe_url(result.url)
    parts = [
        f"{literal(t('case.source_file'))}: <code>{literal(source_label(result.source))}</code>"
    ]
    if url:
        parts.insert(0, f"{literal(t('case.web_page'))}: {link_html(url, short(url, 80))}")
    st.markdown(f'<div class="cs-muted">{" · ".join(parts)}</div>', unsafe_allow_html=True)
    return slot, text


def _save_judgment(query: str, result: SearchResult, mode: str, qlang: str) -> None:
    """Callback of a relevance control: write the grade to the judgment files."""
    key = f"judge|{query_id(query)}|{result.case_id}"
    grade = st.session_state.get(key)
    if grade is None:
        return
    try:
        JudgmentStore(common.data_dir()).add(
            Judgment(
                query=query,
                case_id=result.case_id,
                grade=int(grade),
                case_lang=result.lang,
                query_lang=qlang,
                title=result.title,
                mode=mode,
                rank=result.rank,
            )
        )
        st.toast(t("judge.saved", grade=t(f"grade.{int(grade)}").lower()))
    except OSError as exc:
        common.log.exception("could not save judgment")
        st.toast(t("judge.failed", error=exc.strerror or exc))


def _judge(query: str, result: SearchResult, mode: str, qlang: str, earlier: int | None) -> None:
    if access.read_only():  # no judgments are collected
        return
    key = f"judge|{query_id(query)}|{result.case_id}"
    options = list(GRADES)
    st.radio(
        t("judge.question"),
        options=options,
        format_func={g: t(f"grade.{g}") for g in options}.__getitem__,
        index=options.index(earlier) if earlier in options else None,
        horizontal=True,
        key=key,
        on_change=_save_judgment,
        args=(query, result, mode, qlang),
        help=t("judge.help"),
    )


def _language_note(response: SearchResponse) -> str | None:
    """Say so when a question in one language finds cases written in another."""
    qlang = response.query_language
    langs = response.other_languages
    if qlang is None or not langs:
        return None
    other = [r for r in response.results if r.lang in langs]
    return t(
        "search.language_note",
        question_language=lang_name(qlang),
        n=len(other),
        total=len(response.results),
        languages=lang_list(langs),
    )


def _notices(response: SearchResponse) -> list[str]:
    """What the user should know about the search besides its results."""
    out = []
    if response.truncation is not None:
        out.append(
            t("search.truncated", tokens=response.truncation.tokens, kept=response.truncation.kept)
        )
    facts = response.filter_facts
    if facts is not None:
        if facts.unknown_language:
            out.append(t("search.unknown_language", language=lang_name(facts.unknown_language)))
        if facts.unknown_collections:
            out.append(
                t("search.unknown_collections", collections=", ".join(facts.unknown_collections))
            )
    return out


def filters_in_words(filters: SearchFilters) -> str:
    """The active filters in the interface language ("" when none)."""
    parts = []
    if filters.lang:
        parts.append(t("export.filter_language", language=lang_name(filters.lang)))
    if filters.collections:
        parts.append(t("export.filter_collection", collections=", ".join(filters.collections)))
    for key, value in filters.fields:
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- keep and share
def export_words() -> dict[str, str]:
    """Column headers and Markdown words of the exports, in the interface language."""
    keys = list(export.ENGLISH)
    return {key: t(f"export.{key}") for key in keys}


def _export(slot: DeltaGenerator, response: SearchResponse, state: link_state.LinkState) -> None:
    """Download buttons for the result list: CSV, Excel and Markdown."""
    words = export_words()
    context = export.ExportContext(
        question=response.query,
        filters=filters_in_words(state.filters),
        mode=t(f"mode.{state.mode}"),
        link=link_state.page_url("search", {**state.params(), "lang": current()}),
        case_link=lambda r: link_state.page_url("case", case_params(r)),
    )
    table = export.rows(response, context, lang_name, words)
    stem = "casesearch-" + "-".join(response.query.split()[:6]).casefold()
    stem = "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in stem)[:60]
    with slot:
        cols = st.columns([1, 1, 1, 3], vertical_alignment="center")
        cols[0].download_button(
            t("export.csv_button"),
            data=export.to_csv(table, words),
            file_name=f"{stem}.csv",
            mime="text/csv",
            key="export-csv",
            icon=":material/download:",
            on_click="ignore",
        )
        cols[1].download_button(
            t("export.xlsx_button"),
            data=export.to_xlsx(table, words),
            file_name=f"{stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="export-xlsx",
            icon=":material/download:",
            on_click="ignore",
        )
        cols[2].download_button(
            t("export.md_button"),
            data=export.to_markdown(response, context, lang_name, words).encode("utf-8"),
            file_name=f"{stem}.md",
            mime="text/markdown",
            key="export-md",
            icon=":material/download:",
            on_click="ignore",
        )
        cols[3].caption(t("share.hint"))


# --------------------------------------------------------------------------- page
def _welcome() -> None:
    st.markdown(t("search.welcome"))


def _examples() -> None:
    first = current()
    order = [first, *[code for code in EXAMPLES if code != first]]
    for column, code in zip(st.columns(len(order)), order, strict=True):
        with column:
            st.caption(t(f"search.examples_{code}"))
            for i, q in enumerate(EXAMPLES[code]):
                st.button(q, key=f"ex-{code}-{i}", on_click=_ask, args=(q,), type="tertiary")


def _cards(
    searcher: Searcher,
    response: SearchResponse,
    *,
    query: str | None,
    mode: str,
    show_match: bool = True,
) -> list[tuple[SearchResult, DeltaGenerator, tuple[DeltaGenerator, str] | None]]:
    """One card per result; returns the slots to redraw once best sentences are marked."""
    qlang = response.query_language or ""
    earlier = JudgmentStore(common.data_dir()).grades_for(query) if query else {}
    slots = []
    for result in response.results:
        with st.container(border=True):
            st.markdown(header_html(result, show_match), unsafe_allow_html=True)
            excerpt = st.empty()
            excerpt.markdown(excerpt_html(result), unsafe_allow_html=True)
            more, actions = st.columns([1, 1], vertical_alignment="top")
            with more, st.expander(t("card.show_more")):
                context = _context(searcher, result)
            with actions:
                links = st.columns(2)
                with links[0]:
                    case_page_link(result)
                links[1].button(
                    t("card.more_like_this"),
                    key=f"like|{result.case_id}|{result.rank}",
                    on_click=_more_like,
                    args=(result.case_id,),
                    icon=":material/travel_explore:",
                    type="tertiary",
                )
                if query:
                    _judge(query, result, mode, qlang, earlier.get(result.case_id))
        slots.append((result, excerpt, context))
    return slots


def _similar(searcher: Searcher, state: link_state.LinkState) -> None:
    """The cases closest to one case ("more like this")."""
    assert state.like is not None
    seed = searcher.case(state.like)
    if seed is None:
        st.warning(t("like.gone"))
        return
    if state.query:
        st.button(
            t("like.back", question=short(state.query, 60)),
            on_click=_back_to_question,
            icon=":material/arrow_back:",
            key="like-back",
        )
    try:
        response = common.service().similar(state.like, state.k, state.filters)
    except QueryError as exc:
        # The searcher's reason is in English; the visitor gets it in the interface language.
        common.log.info("question not searched: %s", exc)
        st.warning(t("search.cannot_search"))
        return
    st.subheader(t("like.title", title=seed.title))
    st.caption(t("like.caption"))
    if not response.results:
        st.info(t("like.none"))
        return
    _cards(searcher, response, query=None, mode=state.mode, show_match=False)


def page() -> None:
    """Render the Search page."""
    service = common.service()
    searcher = service.searcher()
    _apply_link(searcher)
    _keep_settings()
    filters, mode, k = _sidebar(searcher)

    st.title(t("search.title"))
    st.caption(t("search.caption"))
    with st.form("ask", border=False, enter_to_submit=True):
        box, button = st.columns([7, 1], vertical_alignment="bottom")
        text = box.text_input(
            t("search.question"),
            key="query_input",
            placeholder=t("search.placeholder"),
        )
        asked = button.form_submit_button(
            t("search.button"), type="primary", use_container_width=True
        )
    if asked:
        st.session_state["query"] = text
        st.session_state.pop("like", None)

    query = st.session_state.get("query")
    like = st.session_state.get("like")
    state = link_state.LinkState(
        query=str(query) if query else None, mode=mode, k=k, filters=filters, like=like
    )
    link_state.write(state)
    if like:
        _similar(searcher, state)
        return
    if query is None:
        _welcome()
        _examples()
        return
    if not str(query).strip():
        st.info(t("search.empty"))
        _examples()
        return

    try:
        response, seconds = service.search(SearchRequest(str(query), k, mode, filters))
    except QueryError as exc:
        # The searcher's reason is in English; the visitor gets it in the interface language.
        common.log.info("question not searched: %s", exc)
        st.warning(t("search.cannot_search"))
        return
    except Exception:
        common.log.exception("search failed for %r", query)
        st.error(t("search.failed"))
        return

    note = _language_note(response)
    if note:
        st.info(note, icon=":material/translate:")
    for notice in _notices(response):
        st.warning(notice)
    if not response.results:
        hint = t("search.none_filters") if filters.active() else t("search.none_words")
        st.info(t("search.none") + " " + hint)
        return

    if response.likely_answered is False:
        st.warning(t("search.nothing_answers"), icon=":material/search_off:")
    timing = t("search.timing", seconds=f"{seconds:.2f}") if seconds else ""
    summary = t("search.summary", n=len(response.results))
    st.markdown(
        f'<div class="cs-muted cs-summary">{literal(summary)} “<span class="cs-query">'
        f"{literal(response.query)}</span>”{literal(timing)}. "
        f"{literal(t('search.summary_tail'))}</div>",
        unsafe_allow_html=True,
    )
    if response.calibrated is False:
        st.caption(t("search.uncalibrated"))
    export_slot = st.container()
    slots = _cards(searcher, response, query=str(query), mode=mode)
    # Results are on screen; now mark their best sentences (the slower part).
    try:
        service.mark_best_sentences(response)
    except Exception:
        common.log.exception("marking best sentences failed")
    for result, excerpt, context in slots:
        if result.highlight is None:
            continue
        excerpt.markdown(excerpt_html(result), unsafe_allow_html=True)
        if context is not None:
            slot, text = context
            slot.markdown(
                context_html(text, result.chunk_start, result.chunk_end, result.highlight),
                unsafe_allow_html=True,
            )
    _export(export_slot, response, state)
