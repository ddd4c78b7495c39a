"""The app's interface language: which one a visitor gets, and every text in both languages.

Every word the app shows comes from :data:`casesearch.ui.messages.MESSAGES` through :func:`t`,
so a page never holds a literal sentence and a missing translation is a test failure, not a
half-English page. The language is chosen, in order, by the link (``?lang=da``), the
visitor's earlier choice in this session, and the browser's preferred language (Danish when
it asks for Danish, else English); the sidebar switch changes it and writes it into the link,
so a shared link opens in the language it was made in.
"""

from __future__ import annotations

import streamlit as st

from casesearch.core.languages import language_list, language_name
from casesearch.ui.messages import MESSAGES

#: Interface languages, in the order the switch shows them.
LANGUAGES = ("da", "en")
#: Used when neither the link nor the browser asks for one we have.
FALLBACK = "en"
#: Session-state key of the chosen language and the URL parameter that carries it.
STATE_KEY = "ui_lang"
PARAM = "lang"


def browser_language(locale: str | None, accept_language: str | None) -> str:
    """The interface language a browser asks for: its locale, else its Accept-Language list.

    Args:
        locale: the browser's locale as Streamlit reports it (``"da-DK"``), or None.
        accept_language: the request's ``Accept-Language`` header (``"da,en;q=0.8"``).
    """
    candidates: list[tuple[float, str]] = []
    if locale:
        candidates.append((2.0, locale))
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            candidates.append((quality - index * 1e-3, tag))
    for _, tag in sorted(candidates, key=lambda c: -c[0]):
        base = tag.strip().lower().replace("_", "-").split("-")[0]
        # Norwegian and Swedish readers are better served by Danish than by English.
        if base in ("da", "nb", "nn", "no"):
            return "da"
        if base in LANGUAGES:
            return base
    return FALLBACK


def _from_browser() -> str:
    try:
        locale = st.context.locale
        header = st.context.headers.get("Accept-Language")
    except Exception:  # no browser request (a bare script run)
        return FALLBACK
    return browser_language(locale, header)


def init_language() -> str:
    """Settle this run's interface language and keep it in the link; call once per run."""
    asked = st.query_params.get(PARAM)
    if asked in LANGUAGES:
        lang = str(asked)
    elif st.session_state.get(STATE_KEY) in LANGUAGES:
        lang = str(st.session_state[STATE_KEY])
    else:
        lang = _from_browser()
    st.session_state[STATE_KEY] = lang
    if st.query_params.get(PARAM) != lang:
        st.query_params[PARAM] = lang
    return lang


def current() -> str:
    """The interface language of this run (``da`` or ``en``)."""
    lang = st.session_state.get(STATE_KEY)
    return str(lang) if lang in LANGUAGES else FALLBACK


def set_language(lang: str) -> None:
    """Switch the interface language (and the link's ``lang``)."""
    if lang in LANGUAGES:
        st.session_state[STATE_KEY] = lang
        st.query_params[PARAM] = lang


def t(key: str, /, **values: object) -> str:
    """The text ``key`` in the interface language, with ``{placeholders}`` filled in.

    Raises:
        KeyError: for a key the catalogue does not have (a test checks every use).
    """
    text = MESSAGES[key].get(current())
    return text.format(**values) if values else text


def lang_name(code: str) -> str:
    """A language's name in the interface language ("Danish" / "dansk")."""
    return language_name(code, current())


def lang_list(codes: list[str]) -> str:
    """Language names joined as a sentence would ("Danish and English" / "dansk og engelsk")."""
    return language_list(codes, current())


def language_switch() -> None:
    """The sidebar control that switches the interface language."""

    def changed() -> None:
        chosen = st.session_state.get("ui_lang_switch")
        if chosen:
            set_language(str(chosen))

    st.session_state["ui_lang_switch"] = current()
    st.sidebar.segmented_control(
        t("lang.switch"),
        options=list(LANGUAGES),
        format_func=lambda code: MESSAGES["lang.self"].get(code),
        key="ui_lang_switch",
        on_change=changed,
        selection_mode="single",
    )
