"""The web app's entry: first-start indexing, then the pages.

Served by ``streamlit run app.py`` in a checkout or ``casesearch app`` from an installed wheel
(both run :func:`main`). The data directory is ``$CASESEARCH_DATA_DIR`` (else the per-user
default); when it holds no index yet, the app builds one from the default corpus first,
showing its progress, then serves. Model and index are loaded once per server process and
shared by all visitors (see :mod:`casesearch.ui.service`).
"""

from __future__ import annotations

import os
import time

import streamlit as st

from casesearch.index.storage.manifest import (
    IndexDamagedError,
    IndexMismatchError,
    IndexMissingError,
)
from casesearch.ui import (
    access,
    case_page,
    common,
    corpus_page,
    eval_page,
    i18n,
    judgments_page,
    search_page,
)
from casesearch.ui.i18n import t
from casesearch.ui.progress import phase_fraction, phase_label
from casesearch.ui.service import AppService


def _build_first_index(service: AppService, first: bool = True) -> bool:
    """Build the index of the default corpus, or wait for the visitor who is building it."""
    if first:
        st.title("casesearch")
        st.info(t("start.setting_up"))
    bar = st.progress(0.0, text=t("start.starting"))
    if service.state.running:
        while service.state.running:
            s = service.state
            bar.progress(
                phase_fraction(s.phase, s.done, s.total),
                text=phase_label(s.phase, s.done, s.total),
            )
            time.sleep(0.5)
        if service.state.error:
            st.error(t("start.build_failed", error=service.state.error))
            return False
        return True

    def progress(phase: str, done: int, total: int) -> None:
        bar.progress(phase_fraction(phase, done, total), text=phase_label(phase, done, total))

    try:
        with st.spinner(t("start.building"), show_time=True):
            result = service.update(progress)
    except Exception as exc:
        common.log.exception("first index build failed")
        st.error(t("start.build_error", error=exc))
        return False
    st.success(t("start.indexed", cases=result.build.cases, seconds=f"{result.seconds:.0f}"))
    return True


def _ready(service: AppService) -> bool:
    """Make sure an index can be searched; explain and stop otherwise."""
    if service.read_only:
        return access.ready_read_only(service)
    if not service.index_exists():
        if not _build_first_index(service):
            return False
        st.rerun()
    try:
        service.searcher()
    except IndexMissingError:
        return _build_first_index(service)
    except IndexDamagedError as exc:
        st.title("casesearch")
        st.error(t("start.damaged"))
        with st.expander(t("start.details"), expanded=True):
            st.text(str(exc))
        if st.button(t("start.rebuild"), type="primary") and _build_first_index(
            service, first=False
        ):
            st.rerun()
        return False
    except IndexMismatchError as exc:
        st.title("casesearch")
        st.warning(t("start.mismatch"))
        with st.expander(t("start.details")):
            st.text(str(exc))
        if st.button(t("start.rebuild"), type="primary") and _build_first_index(
            service, first=False
        ):
            st.rerun()
        return False
    except Exception as exc:
        common.log.exception("index could not be opened")
        st.error(t("start.open_failed", error=exc))
        return False
    return True


def main() -> None:
    """Render the app for one browser run."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st.set_page_config(page_title="casesearch", page_icon=":material/search:", layout="wide")
    common.inject_css()
    i18n.init_language()
    i18n.language_switch()
    if not access.gate():
        st.stop()
    service = common.service()
    if not _ready(service):
        st.stop()
    access.read_only_note()
    pages = {
        "search": st.Page(
            search_page.page,
            title=t("page.search"),
            icon=":material/search:",
            url_path="search",
            default=True,
        ),
        "judgments": st.Page(
            judgments_page.page,
            title=t("page.judgments"),
            icon=":material/thumb_up:",
            url_path="judgments",
        ),
        "evaluation": st.Page(
            eval_page.page,
            title=t("page.evaluation"),
            icon=":material/bar_chart:",
            url_path="evaluation",
        ),
        "corpus": st.Page(
            corpus_page.page,
            title=t("page.corpus"),
            icon=":material/library_books:",
            url_path="corpus",
        ),
        "case": st.Page(
            case_page.page, title=t("page.case"), icon=":material/article:", url_path="case"
        ),
    }
    if service.read_only:  # no judgments are collected, nor others' questions shown
        pages.pop("judgments")
    common.PAGES.clear()
    common.PAGES.update(pages)
    st.navigation(list(pages.values())).run()


if __name__ == "__main__":  # ``casesearch app`` runs this file as Streamlit's script
    main()
