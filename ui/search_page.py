"""The Search page: ask a question, read the matching cases, say which ones helped."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from casesearch.core.config import DEFAULT_CORPUS
from casesearch.index.search.response import SearchFilters, SearchResponse, SearchResult
from casesearch.index.search.searcher import QueryError, Searcher
from casesearch.ui import access, common
from casesearch.ui.judgments import GRADES, Judgment, JudgmentStore, query_id
from casesearch.ui.render import (
    collection_label,
    context_window,
    language_name,
    link_html,
    literal,
    marked_html,
    match_level,
    safe_url,
    short,
    tidy_excerpt,
)
from casesearch.ui.service import SearchRequest

EXAMPLES_EN = (
    "how to involve unemployed residents in waste work",
    "co-creation in deprived social housing estates, what works",
    "lonely elderly people - intergenerational community projects",
)
EXAMPLES_DA = (
    "hvordan inddrager man unge i byudvikling?",
    "erfaringer med borgerbudgetter",
    "kan man bruge kunstnere i inddragelsesprocesser?",
)

MODES = {
    "hybrid": "Meaning + keywords (recommended)",
    "dense": "Meaning only",
    "bm25": "Keywords only",
}

#: Sidebar settings kept when the user visits another page and comes back.
SETTING_KEYS = ("opt_lang", "opt_collections", "opt_field", "opt_field_value", "opt_mode", "opt_k")

EXCERPT_CHARS = 650


# --------------------------------------------------------------------------- state
def _ask(question: str) -> None:
    """Callback of the example buttons: fill the box and search."""
    st.session_state["query_input"] = question
    st.session_state["query"] = question


def _keep_settings() -> None:
    """Re-assign sidebar values so Streamlit does not drop them while another page shows."""
    for key in SETTING_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if "query_input" not in st.session_state:
        st.session_state["query_input"] = st.session_state.get("query", "")


def _sidebar(searcher: Searcher) -> tuple[SearchFilters, str, int]:
    """Filters and search settings; returns (filters, mode, number of results)."""
    sb = st.sidebar
    sb.header("Filters")
    langs = [code for code in searcher.languages if code != "unknown"]
    lang = sb.radio(
        "Language of the case",
        options=["any", *langs],
        format_func=lambda c: "Any language" if c == "any" else f"{language_name(c)} only",
        key="opt_lang",
        help="Questions in one language also find cases written in the other.",
    )
    collections = sb.multiselect(
        "Collection",
        options=searcher.collections,
        format_func=lambda c: short(collection_label(c), 50),
        key="opt_collections",
        placeholder="All collections",
        help="The folder or list page a case comes from.",
    )
    fields: tuple[tuple[str, str], ...] = ()
    values = searcher.field_values()
    if values:
        field = sb.selectbox(
            "Template field",
            options=["", *values],
            format_func=lambda f: "No field filter" if not f else f.replace("_", " ").capitalize(),
            key="opt_field",
            help="Cases from filled-in templates have fields such as region or timescale.",
        )
        if field:
            options = values[field]
            if len(options) <= 30:
                value = sb.selectbox(
                    "Value",
                    options=options,
                    format_func=lambda v: short(v, 60),
                    key="opt_field_value",
                )
            else:
                value = sb.text_input("Contains", key="opt_field_value")
            if value:
                fields = ((field, value),)
    sb.header("Search")
    mode = sb.radio(
        "How to match",
        options=list(MODES),
        format_func=MODES.get,
        key="opt_mode",
        help="Meaning finds cases in both languages even without shared words; keywords "
        "find exact terms (names, places) in the question's language; the default "
        "combines both.",
    )
    st.session_state.setdefault("opt_k", 10)
    k = sb.slider("Number of cases", min_value=3, max_value=30, key="opt_k")
    filters = SearchFilters(
        lang=None if lang == "any" else lang,
        collections=tuple(collections),
        fields=fields,
    )
    return filters, str(mode), int(k)


# --------------------------------------------------------------------------- pieces
def _lang_badge(code: str) -> str:
    css = f"cs-lang-{code}" if code in ("da", "en") else "cs-lang-other"
    return f'<span class="cs-badge {css}">{literal(language_name(code))}</span>'


def _source_label(source: str) -> str:
    """A source path people can recognise: relative to the corpus or the data directory."""
    path = Path(source)
    for base, prefix in ((DEFAULT_CORPUS, "corpus/"), (common.data_dir(), "")):
        try:
            return prefix + str(path.resolve().relative_to(base.resolve()))
        except (ValueError, OSError):
            continue
    return source


def _header_html(result: SearchResult, top_score: float) -> str:
    relative = result.score / top_score if top_score > 0 else 0.0
    label, dots = match_level(result.similarity, relative)
    dot_text = "●" * dots + "○" * (3 - dots)
    where = [_lang_badge(result.lang)]
    where.append(
        f'<span class="cs-match cs-m{dots}" title="How closely the best passage matches your '
        f'question"><span class="cs-dots">{dot_text}</span> {label}</span>'
    )
    where.append(
        f'<span title="Collection">{literal(short(collection_label(result.collection), 60))}</span>'
    )
    if result.section:
        where.append(f"<span>· section “{literal(short(result.section, 60))}”</span>")
    return (
        f'<div class="cs-head"><span class="cs-rank">{result.rank}.</span>'
        f'<span class="cs-title">{literal(result.title)}</span></div>'
        f'<div class="cs-meta">{" ".join(where)}</div>'
    )


def _excerpt_html(result: SearchResult) -> str:
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


def _context_html(text: str, result: SearchResult) -> str:
    """More of the case around the passage: the passage tinted, its best sentence marked."""
    lo, hi = context_window(text, result.chunk_start, result.chunk_end)
    start, end = result.chunk_start - lo, result.chunk_end - lo
    spans = [(start, end, "cs-chunk")]
    if result.highlight:
        hs, he = result.highlight
        # Marks cannot nest: split the passage around the sentence.
        spans = [
            (start, start + hs, "cs-chunk"),
            (start + hs, start + he, "cs-hl"),
            (start + he, end, "cs-chunk"),
        ]
    lead = "… " if lo > 0 else ""
    tail = " …" if hi < len(text) else ""
    return f'<div class="cs-context">{lead}{marked_html(text[lo:hi], spans)}{tail}</div>'


def _context(searcher: Searcher, result: SearchResult) -> tuple[DeltaGenerator, str] | None:
    """Section, surrounding text and source of a result; returns the text's slot and text."""
    case = searcher.case(result.case_id)
    if case is None:
        st.caption("This case is no longer in the index.")
        return None
    text = case.text
    if result.section:
        st.markdown(
            f'<div class="cs-muted">Section: <b>{literal(result.section)}</b></div>',
            unsafe_allow_html=True,
        )
    slot = st.empty()
    slot.markdown(_context_html(text, result), unsafe_allow_html=True)
    url = safe_url(result.url)
    source = _source_label(result.source)
    parts = [f"Source file: <code>{literal(source)}</code>"]
    if url:
        parts.insert(0, f"Web page: {link_html(url, short(url, 80))}")
    st.markdown(f'<div class="cs-muted">{" · ".join(parts)}</div>', unsafe_allow_html=True)
    if st.button("Open the whole case", key=f"open|{result.case_id}|{result.rank}"):
        st.session_state["corpus_case"] = result.case_id
        common.go_to("corpus")
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
        st.toast(f"Saved: {GRADES[int(grade)].lower()} — thank you!")
    except OSError as exc:
        common.log.exception("could not save judgment")
        st.toast(f"Could not save your judgment ({exc.strerror or exc}).")


def _judge(query: str, result: SearchResult, mode: str, qlang: str, earlier: int | None) -> None:
    if access.read_only():  # no judgments are collected
        return
    key = f"judge|{query_id(query)}|{result.case_id}"
    options = list(GRADES)
    st.radio(
        "Does this case help with your question?",
        options=options,
        format_func=GRADES.get,
        index=options.index(earlier) if earlier in options else None,
        horizontal=True,
        key=key,
        on_change=_save_judgment,
        args=(query, result, mode, qlang),
        help="Your answer is saved with the question so that search quality can be measured "
        "on real questions (see the Judgments page).",
    )


def _language_note(response: SearchResponse) -> str | None:
    """Say so when a question in one language finds cases written in another."""
    qlang = response.query_language
    langs = response.other_languages
    if qlang is None or not langs:
        return None
    other = [r for r in response.results if r.lang in langs]
    names = " and ".join(language_name(c) for c in langs)
    return (
        f"Your question looks {language_name(qlang)}; {len(other)} of the "
        f"{len(response.results)} cases found are written in {names}. Search matches meaning "
        "across languages — use the language filter in the sidebar to see only "
        f"{language_name(qlang)} cases."
    )


def _notices(response: SearchResponse) -> list[str]:
    """What the user should know about the search besides its results."""
    out = []
    if response.truncation is not None:
        out.append(
            f"Your question is long ({response.truncation.tokens} word pieces); only the first "
            f"{response.truncation.kept} were used."
        )
    facts = response.filter_facts
    if facts is not None:
        if facts.unknown_language:
            out.append(f"No cases are written in {language_name(facts.unknown_language)}.")
        if facts.unknown_collections:
            out.append("Unknown collection(s): " + ", ".join(facts.unknown_collections) + ".")
    return out


# --------------------------------------------------------------------------- page
def _welcome() -> None:
    st.markdown(
        "Describe what you are looking for in **Danish or English** — a problem you face, a "
        "group you want to reach, a method you consider. Cases in both languages are found, "
        "whatever language you ask in."
    )


def _examples() -> None:
    left, right = st.columns(2)
    with left:
        st.caption("Try a question in English")
        for i, q in enumerate(EXAMPLES_EN):
            st.button(q, key=f"ex-en-{i}", on_click=_ask, args=(q,), type="tertiary")
    with right:
        st.caption("Eller spørg på dansk")
        for i, q in enumerate(EXAMPLES_DA):
            st.button(q, key=f"ex-da-{i}", on_click=_ask, args=(q,), type="tertiary")


def page() -> None:
    """Render the Search page."""
    service = common.service()
    searcher = service.searcher()
    _keep_settings()
    filters, mode, k = _sidebar(searcher)

    st.title("Find cases")
    st.caption(
        "Citizen participation and co-creation cases in Danish and English — ask in either "
        "language."
    )
    with st.form("ask", border=False, enter_to_submit=True):
        box, button = st.columns([7, 1], vertical_alignment="bottom")
        text = box.text_input(
            "Your question",
            key="query_input",
            placeholder="e.g. how do we reach residents who never come to meetings?",
        )
        asked = button.form_submit_button("Search", type="primary", use_container_width=True)
    if asked:
        st.session_state["query"] = text

    query = st.session_state.get("query")
    if query is None:
        _welcome()
        _examples()
        return
    if not str(query).strip():
        st.info(
            "Type a question first — a few words are enough, e.g. *borgerinddragelse af unge* "
            "or *involving tenants in renovation*."
        )
        _examples()
        return

    try:
        response, seconds = service.search(SearchRequest(str(query), k, mode, filters))
    except QueryError as exc:
        st.warning(str(exc))
        return
    except Exception:
        common.log.exception("search failed for %r", query)
        st.error(
            "Sorry — the search failed on this question. Try rephrasing it; if it keeps "
            "happening, tell whoever runs this site (details are in the server log)."
        )
        return

    qlang = response.query_language or ""
    note = _language_note(response)
    if note:
        st.info(note, icon=":material/translate:")
    for notice in _notices(response):
        st.warning(notice)
    if not response.results:
        hint = (
            " Your filters may be too narrow — try “Any language” or clear the collection."
            if filters.active()
            else " Try other words, or ask in the other language."
        )
        st.info("No cases match this question." + hint)
        return

    timing = f" in {seconds:.2f} s" if seconds else ""
    st.markdown(
        f'<div class="cs-muted cs-summary">{len(response.results)} cases for '
        f'“<span class="cs-query">{literal(response.query)}</span>”{timing}, best match '
        "first. The highlighted sentence is the one closest to your question.</div>",
        unsafe_allow_html=True,
    )
    earlier = JudgmentStore(common.data_dir()).grades_for(str(query))
    top = max((r.score for r in response.results), default=0.0)
    slots = []
    for result in response.results:
        with st.container(border=True):
            st.markdown(_header_html(result, top), unsafe_allow_html=True)
            excerpt = st.empty()
            excerpt.markdown(_excerpt_html(result), unsafe_allow_html=True)
            more, judge = st.columns([1, 1], vertical_alignment="top")
            with more, st.expander("Show more of this case"):
                context = _context(searcher, result)
            with judge:
                _judge(str(query), result, mode, qlang, earlier.get(result.case_id))
        slots.append((result, excerpt, context))
    # Results are on screen; now mark their best sentences (the slower part).
    try:
        service.mark_best_sentences(response)
    except Exception:
        common.log.exception("marking best sentences failed")
        return
    for result, excerpt, context in slots:
        if result.highlight is None:
            continue
        excerpt.markdown(_excerpt_html(result), unsafe_allow_html=True)
        if context is not None:
            slot, text = context
            slot.markdown(_context_html(text, result), unsafe_allow_html=True)
