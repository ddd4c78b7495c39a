"""Every search is a link: the question, filters and mode live in the page's URL.

The Search page reads the link when it changed (a pasted or shared link, a bookmark) and
writes the current search back into it after every run, so copying the address bar gives a
colleague the same result list. The interface language travels as ``lang`` (see
:mod:`casesearch.ui.i18n`). Parameters:

``q`` question · ``mode`` hybrid/dense/bm25 · ``k`` number of cases · ``clang`` case language
· ``coll`` collection (repeatable) · ``field`` template field filter ``key=text`` · ``like`` a
case id whose closest cases are shown.

The link is read and written by hand rather than by binding widgets to it: the question is
committed by a form's submit button and the settings must outlive visits to other pages
(see ``search_page._keep_settings``), and both need to be set before the widgets are drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import streamlit as st

from casesearch.index.search.response import SearchFilters

#: URL parameters of a search, in the order they are written.
PARAMS = ("q", "mode", "k", "clang", "coll", "field", "like")
DEFAULT_MODE = "hybrid"
DEFAULT_K = 10
_WRITTEN = "_link_written"


@dataclass(frozen=True)
class LinkState:
    """A search as it is kept in a link."""

    query: str | None = None
    mode: str = DEFAULT_MODE
    k: int = DEFAULT_K
    filters: SearchFilters = field(default_factory=SearchFilters)
    like: str | None = None

    def params(self) -> dict[str, str | list[str]]:
        """URL parameters of this state; defaults are left out to keep links short."""
        out: dict[str, str | list[str]] = {}
        if self.query:
            out["q"] = self.query
        if self.mode != DEFAULT_MODE:
            out["mode"] = self.mode
        if self.k != DEFAULT_K:
            out["k"] = str(self.k)
        if self.filters.lang:
            out["clang"] = self.filters.lang
        if self.filters.collections:
            out["coll"] = list(self.filters.collections)
        if self.filters.fields:
            key, value = self.filters.fields[0]
            out["field"] = f"{key}={value}"
        if self.like:
            out["like"] = self.like
        return out


def parse(params: Mapping[str, list[str]]) -> LinkState:
    """A link's search; unknown or malformed values fall back to the defaults."""

    def first(name: str) -> str | None:
        values = params.get(name) or []
        return values[0] if values and values[0] != "" else None

    try:
        k = int(first("k") or DEFAULT_K)
    except ValueError:
        k = DEFAULT_K
    fields: tuple[tuple[str, str], ...] = ()
    raw_field = first("field")
    if raw_field and "=" in raw_field:
        key, _, value = raw_field.partition("=")
        if key.strip() and value.strip():
            fields = ((key.strip(), value.strip()),)
    return LinkState(
        query=first("q"),
        mode=first("mode") or DEFAULT_MODE,
        k=k,
        filters=SearchFilters(
            lang=first("clang"), collections=tuple(params.get("coll") or ()), fields=fields
        ),
        like=first("like"),
    )


def current_params() -> dict[str, list[str]]:
    """This run's search parameters from the browser's URL."""
    return {name: st.query_params.get_all(name) for name in PARAMS if name in st.query_params}


def changed_from_outside() -> LinkState | None:
    """The link's search when it differs from what this session last wrote, else None.

    A link without a question or case (a plain visit, or coming back from another page)
    never overrides the session: the session's search is then written into it.
    """
    params = current_params()
    if not params.get("q") and not params.get("like"):
        return None
    if params == st.session_state.get(_WRITTEN):
        return None
    return parse(params)


def write(state: LinkState) -> None:
    """Put ``state`` into the URL (leaving other parameters, such as ``lang``, alone)."""
    wanted = state.params()
    for name in PARAMS:
        if name not in wanted and name in st.query_params:
            del st.query_params[name]
    for name, value in wanted.items():
        if st.query_params.get_all(name) != (value if isinstance(value, list) else [value]):
            st.query_params[name] = value
    st.session_state[_WRITTEN] = {
        name: value if isinstance(value, list) else [value] for name, value in wanted.items()
    }


def app_root() -> str:
    """``scheme://host[:port]`` of the app as the browser sees it ("" outside a browser)."""
    try:
        url = st.context.url
    except Exception:
        return ""
    if not url:
        return ""
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def page_url(path: str, params: Mapping[str, str | list[str]]) -> str:
    """An absolute link to one of the app's pages (relative outside a browser)."""
    query = urlencode(params, doseq=True)
    root = app_root()
    return f"{root}/{path}?{query}" if root else f"{path}?{query}"
