"""What every page shares: the process-wide app service, the page registry and the styles."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from casesearch.core.config import ModelSettings, env_settings, resolve_data_dir
from casesearch.ui import access
from casesearch.ui.service import AppService

log = logging.getLogger("casesearch.app")

#: Pages by name, set by app.py on every run so pages can link to each other.
PAGES: dict[str, StreamlitPage] = {}


@st.cache_resource(show_spinner=False)
def _service(
    data_dir: str, model: str | None, backend: str | None, download: bool, read_only: bool
) -> AppService:
    return AppService(Path(data_dir), ModelSettings(model, backend, download), read_only=read_only)


def data_dir() -> Path:
    """The data directory (``$CASESEARCH_DATA_DIR`` or the per-user default)."""
    return resolve_data_dir(None)


def service() -> AppService:
    """The one service of this server process for the configured data directory and model.

    The app, like the command line, reads its configuration from the environment
    (``CASESEARCH_DATA_DIR``, ``CASESEARCH_MODEL``, ``CASESEARCH_BACKEND``, ...).
    """
    model = env_settings()
    return _service(
        str(data_dir()), model.model, model.backend, model.allow_download, access.read_only()
    )


def go_to(page: str) -> None:
    """Switch to another page of the app by its registry name."""
    target = PAGES.get(page)
    if target is not None:
        st.switch_page(target)


CSS = """
<style>
[data-testid="stMainBlockContainer"] {padding-top: 2.5rem;}
.cs-head {display:flex; align-items:baseline; gap:.6rem; margin-bottom:.15rem;}
.cs-rank {color:#6b7280; font-weight:600; min-width:1.4rem;}
.cs-title {font-size:1.15rem; font-weight:650; line-height:1.35;}
.cs-meta {display:flex; flex-wrap:wrap; align-items:center; gap:.45rem; font-size:.85rem;
  color:#4b5563; margin:.2rem 0 .5rem 2rem;}
.cs-badge {border-radius:.6rem; padding:.05rem .55rem; font-weight:600; font-size:.78rem;
  border:1px solid transparent;}
.cs-lang-da {background:#fde8e8; color:#9b1c1c; border-color:#f8c4c4;}
.cs-lang-en {background:#e1effe; color:#1e429f; border-color:#c3ddfd;}
.cs-lang-other {background:#f3f4f6; color:#374151; border-color:#e5e7eb;}
.cs-match {font-weight:600;}
.cs-m3 {color:#046c4e;} .cs-m2 {color:#8e4b10;} .cs-m1 {color:#6b7280;}
.cs-dots {letter-spacing:.08rem;}
.cs-excerpt {margin-left:2rem; line-height:1.55; color:#1f2937; font-size:.95rem;}
.cs-excerpt mark.cs-hl {background:#fff3b0; padding:.05rem .1rem; border-radius:.2rem;
  color:inherit;}
.cs-context {line-height:1.55; font-size:.92rem; color:#374151; max-height:28rem;
  overflow-y:auto; padding-right:.5rem;}
.cs-context mark.cs-chunk {background:#eef6ff; color:inherit;}
.cs-context mark.cs-hl {background:#fff3b0; color:inherit;}
.cs-muted {color:#6b7280; font-size:.85rem;}
.cs-fulltext {line-height:1.6; font-size:.95rem; color:#1f2937;}
.cs-section {font-weight:650; font-size:1.02rem; margin:1rem 0 .3rem 0;}
</style>
"""


def inject_css() -> None:
    """Add the app's styles (static text written here, no case text)."""
    st.markdown(CSS, unsafe_allow_html=True)
