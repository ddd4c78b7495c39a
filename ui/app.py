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
from casesearch.ui import access, common, corpus_page, eval_page, judgments_page, search_page
from casesearch.ui.progress import phase_fraction, phase_label
from casesearch.ui.service import AppService


def _build_first_index(service: AppService, first: bool = True) -> bool:
    """Build the index of the default corpus, or wait for the visitor who is building it."""
    if first:
        st.title("casesearch")
        st.info(
            "Setting up: this is the first start on this machine, so the case collection is "
            "read and indexed once (about a minute). Later starts open at once."
        )
    bar = st.progress(0.0, text="Starting…")
    if service.state.running:
        while service.state.running:
            s = service.state
            bar.progress(
                phase_fraction(s.phase, s.done, s.total),
                text=phase_label(s.phase, s.done, s.total),
            )
            time.sleep(0.5)
        if service.state.error:
            st.error(f"Building the index failed: {service.state.error}")
            return False
        return True

    def progress(phase: str, done: int, total: int) -> None:
        bar.progress(phase_fraction(phase, done, total), text=phase_label(phase, done, total))

    try:
        with st.spinner("Building the search index…", show_time=True):
            result = service.update(progress)
    except Exception as exc:
        common.log.exception("first index build failed")
        st.error(
            f"The search index could not be built: {exc}. Check that the corpus folder is "
            "present and readable, then reload the page."
        )
        return False
    st.success(f"Indexed {result.build.cases} cases in {result.seconds:.0f} s.")
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
        st.error(
            "The search index on disk is damaged, so it has to be repaired from the case "
            "files once. The command line does the same: `casesearch index`."
        )
        with st.expander("Details", expanded=True):
            st.text(str(exc))
        if st.button("Rebuild the search index", type="primary") and _build_first_index(
            service, first=False
        ):
            st.rerun()
        return False
    except IndexMismatchError as exc:
        st.title("casesearch")
        st.warning(
            "The search index on disk was made by another version of casesearch or with "
            "another language model, so it has to be rebuilt from the case files once "
            "(about a minute)."
        )
        with st.expander("Details"):
            st.text(str(exc))
        if st.button("Rebuild the search index", type="primary") and _build_first_index(
            service, first=False
        ):
            st.rerun()
        return False
    except Exception as exc:
        common.log.exception("index could not be opened")
        st.error(f"The search index could not be opened: {exc}")
        return False
    return True


def main() -> None:
    """Render the app for one browser run."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st.set_page_config(page_title="casesearch", page_icon=":material/search:", layout="wide")
    common.inject_css()
    if not access.gate():
        st.stop()
    service = common.service()
    if not _ready(service):
        st.stop()
    access.read_only_note()
    pages = {
        "search": st.Page(
            search_page.page,
            title="Search",
            icon=":material/search:",
            url_path="search",
            default=True,
        ),
        "judgments": st.Page(
            judgments_page.page,
            title="Judgments",
            icon=":material/thumb_up:",
            url_path="judgments",
        ),
        "evaluation": st.Page(
            eval_page.page, title="Evaluation", icon=":material/bar_chart:", url_path="evaluation"
        ),
        "corpus": st.Page(
            corpus_page.page, title="Corpus", icon=":material/library_books:", url_path="corpus"
        ),
    }
    if service.read_only:  # no judgments are collected, nor others' questions shown
        pages.pop("judgments")
    common.PAGES.clear()
    common.PAGES.update(pages)
    st.navigation(list(pages.values())).run()


if __name__ == "__main__":  # ``casesearch app`` runs this file as Streamlit's script
    main()
