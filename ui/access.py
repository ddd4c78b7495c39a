"""Who may use the app, and whether it may change anything: login and read-only mode.

The app has no accounts of its own. Out of the box it listens on this machine only; to serve it
to others, one of two gates is configured in ``.streamlit/secrets.toml`` (see the README,
"Serving the app to others"):

* **A shared password** (``[casesearch] password = "..."``): no extra package, no identity
  provider, works offline; right for a small team. The entered password is compared in
  constant time (:func:`hmac.compare_digest`), and each wrong attempt costs a second.
* **Single sign-on with Streamlit's OIDC login** (an ``[auth]`` section, as Streamlit
  documents it, plus ``pip install Authlib``): per-person accounts from the organisation's
  identity provider. Because a provider such as Google lets *any* account log in,
  ``[casesearch] allowed_emails`` and/or ``allowed_domains`` say who is let in; without
  either, everyone the provider accepts is.

When both are configured, single sign-on is used. **Read-only mode**
(``CASESEARCH_READ_ONLY=1``, ``casesearch app --read-only``, or ``[casesearch] read_only =
true``) hides and refuses everything that writes to the data directory: uploads, relevance
judgments (and the page listing other people's questions), running evaluations, building or
rebuilding the index.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from casesearch.index.storage.manifest import IndexError_
from casesearch.ui.i18n import t
from casesearch.ui.service import AppService

READ_ONLY_ENV = "CASESEARCH_READ_ONLY"
SECTION = "casesearch"
_SESSION_KEY = "casesearch_signed_in"
#: Seconds a wrong password costs (slows guessing; a right one is not delayed).
WRONG_PASSWORD_DELAY = 1.0


def _secrets() -> Mapping[str, Any]:
    """The app's secrets; empty when there is no ``secrets.toml`` at all."""
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except (FileNotFoundError, KeyError, OSError):
        return {}
    except Exception:  # a malformed secrets.toml: Streamlit raises its own error type
        st.error(t("access.secrets_unreadable"))
        st.stop()
        raise


def _settings() -> Mapping[str, Any]:
    section = _secrets().get(SECTION, {})
    return section if isinstance(section, Mapping) else {}


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def read_only() -> bool:
    """Whether this app may change nothing in its data directory."""
    return _truthy(os.environ.get(READ_ONLY_ENV, "")) or _truthy(_settings().get("read_only"))


def is_allowed(email: str | None, emails: Iterable[str], domains: Iterable[str]) -> bool:
    """Whether a signed-in account may use the app (no lists: every account may)."""
    emails = {e.strip().lower() for e in emails if e.strip()}
    domains = {d.strip().lower().lstrip("@") for d in domains if d.strip()}
    if not emails and not domains:
        return True
    address = (email or "").strip().lower()
    return bool(address) and (address in emails or address.rpartition("@")[2] in domains)


def password_matches(entered: str, expected: str) -> bool:
    """Constant-time comparison, so response time says nothing about the password."""
    return hmac.compare_digest(entered.encode("utf-8"), expected.encode("utf-8"))


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, Iterable) else []


def _single_sign_on(settings: Mapping[str, Any]) -> bool:
    if not st.user.get("is_logged_in"):
        st.title("casesearch")
        st.write(t("access.sign_in_prompt"))
        st.button(t("access.sign_in"), type="primary", on_click=st.login)
        return False
    email = st.user.get("email")
    allowed = is_allowed(
        str(email) if email else None,
        _as_list(settings.get("allowed_emails", [])),
        _as_list(settings.get("allowed_domains", [])),
    )
    if not allowed:
        st.title("casesearch")
        st.error(t("access.no_access", email=email or t("access.no_email")))
        st.button(t("access.sign_out"), on_click=st.logout)
        return False
    return True


def _password(expected: str) -> bool:
    if st.session_state.get(_SESSION_KEY):
        return True
    st.title("casesearch")
    with st.form("sign-in"):
        entered = st.text_input(t("access.password"), type="password", key="casesearch_password")
        submitted = st.form_submit_button(t("access.sign_in"), type="primary")
    if submitted:
        if password_matches(entered or "", expected):
            st.session_state[_SESSION_KEY] = True
            st.session_state.pop("casesearch_password", None)
            st.rerun()
        time.sleep(WRONG_PASSWORD_DELAY)
        st.error(t("access.wrong_password"))
    return False


def gate() -> bool:
    """Show the sign-in when one is configured and the visitor has not passed it yet.

    Returns:
        True when the visitor may use the app (no gate configured, or signed in).
    """
    secrets = _secrets()
    settings = _settings()
    if "auth" in secrets:
        return _single_sign_on(settings)
    expected = settings.get("password")
    if expected:
        return _password(str(expected))
    return True


def ready_read_only(service: AppService) -> bool:
    """Open the index without ever building or repairing it; explain and stop otherwise."""
    try:
        service.searcher()
    except IndexError_ as exc:
        st.title("casesearch")
        st.info(t("access.read_only_no_index", data_dir=service.data_dir))
        with st.expander(t("start.details")):
            st.text(str(exc))
        return False
    return True


def read_only_note() -> None:
    """One line in the sidebar so visitors know why nothing can be added."""
    if read_only():
        st.sidebar.caption(t("access.read_only_note"))
