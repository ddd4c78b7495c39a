"""The app's gates: a password or single sign-on for shared deployments, and read-only mode.

Run in-process with Streamlit's AppTest against the session's seed index. Secrets and the
signed-in user are given to AppTest the way ``secrets.toml`` and an identity provider give
them to a served app.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from casesearch.ui.access import is_allowed, password_matches

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parents[1] / "app.py")
QUESTION = "how to involve unemployed residents in waste work"


def _app(data_dir: Path, monkeypatch: pytest.MonkeyPatch, read_only: bool = False) -> AppTest:
    monkeypatch.setenv("CASESEARCH_DATA_DIR", str(data_dir))
    if read_only:
        monkeypatch.setenv("CASESEARCH_READ_ONLY", "1")
    else:
        monkeypatch.delenv("CASESEARCH_READ_ONLY", raising=False)
    return AppTest.from_file(APP, default_timeout=120)


def _can_search(at: AppTest) -> bool:
    return any(t.key == "query_input" for t in at.text_input)


def _ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="query_input").input(question)
    return at.button(key="FormSubmitter:ask-Search").click().run()


def _open(at: AppTest, url_path: str) -> AppTest:
    from streamlit.util import calc_hash

    at._page_hash = calc_hash(url_path)
    return at.run()


# --------------------------------------------------------------------------- password
def test_a_configured_password_keeps_the_app_closed_until_given(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(seed_data_dir, monkeypatch)
    at.secrets["casesearch"] = {"password": "kolonihave 2024"}
    at.run()
    assert not at.exception
    assert not _can_search(at)
    assert [t.label for t in at.text_input] == ["Password"]

    at.text_input(key="casesearch_password").input("kolonihave 2025")
    at.button(key="FormSubmitter:sign-in-Sign in").click().run()
    assert not _can_search(at)
    assert any("Wrong password" in e.value for e in at.error)

    at.text_input(key="casesearch_password").input("kolonihave 2024")
    at.button(key="FormSubmitter:sign-in-Sign in").click().run()
    assert not at.exception
    assert _can_search(at)
    at = _ask(at, QUESTION)
    assert any(r.key and r.key.startswith("judge|") for r in at.radio)
    # Other pages are behind the same gate: a fresh session asking for one sees the sign-in.
    fresh = _app(seed_data_dir, monkeypatch)
    fresh.secrets["casesearch"] = {"password": "kolonihave 2024"}
    fresh = _open(fresh, "corpus")
    assert not fresh.metric and [t.label for t in fresh.text_input] == ["Password"]


def test_password_comparison_is_exact() -> None:
    assert password_matches("søster æble", "søster æble")
    assert not password_matches("søster æble ", "søster æble")
    assert not password_matches("", "x")


# --------------------------------------------------------------------------- single sign-on
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a long random string",
    "client_id": "casesearch",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}


def test_single_sign_on_shows_only_the_sign_in_button_to_strangers(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(seed_data_dir, monkeypatch)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert not _can_search(at)
    assert [b.label for b in at.button] == ["Sign in"]


def test_single_sign_on_lets_in_only_allowed_accounts(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for email, let_in in (("anna@kommune.dk", True), ("mallory@example.com", False)):
        at = _app(seed_data_dir, monkeypatch)
        at.secrets["auth"] = AUTH
        at.secrets["casesearch"] = {"allowed_domains": ["kommune.dk"]}
        at.user = {"is_logged_in": True, "email": email}
        at.run()
        assert not at.exception
        assert _can_search(at) is let_in, email
        if not let_in:
            assert any(email in e.value for e in at.error)


def test_allowed_accounts_by_address_or_domain() -> None:
    assert is_allowed("anyone@anywhere.org", [], [])
    assert is_allowed("Anna@Kommune.DK", [], ["kommune.dk"])
    assert is_allowed("bo@gmail.com", ["bo@gmail.com"], ["kommune.dk"])
    assert not is_allowed("bo@kommune.dk.evil.org", [], ["kommune.dk"])
    assert not is_allowed(None, [], ["kommune.dk"])


# --------------------------------------------------------------------------- read-only
def test_read_only_mode_offers_search_and_reading_only(
    seed_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(seed_data_dir, data_dir)
    at = _app(data_dir, monkeypatch, read_only=True).run()
    assert not at.exception
    at = _ask(at, QUESTION)
    assert any("URBAN PLANEN" in m.value for m in at.markdown)
    assert not [r for r in at.radio if r.key and r.key.startswith("judge|")]
    corpus = _open(at, "corpus")
    assert not corpus.exception and corpus.metric  # the corpus can be read ...
    assert not corpus.file_uploader  # ... but nothing added
    evaluation = _open(at, "evaluation")
    assert not evaluation.exception
    assert not [b for b in evaluation.button if "Run the evaluation" in b.label]
    judgments = _open(at, "judgments")  # not a page in read-only mode: search answers
    assert not judgments.exception and _can_search(judgments)
    assert not (data_dir / "judgments").exists() and not (data_dir / "uploads").exists()


def test_read_only_service_refuses_to_write(tmp_path: Path) -> None:
    from casesearch.ui.service import AppService, ReadOnlyError

    service = AppService(tmp_path, read_only=True)
    with pytest.raises(ReadOnlyError):
        service.add_files([("case.txt", b"A case\n\nText of the case.")])
    with pytest.raises(ReadOnlyError):
        service.update()
    assert not (tmp_path / "uploads").exists()


def test_read_only_app_without_an_index_says_how_to_build_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(tmp_path, monkeypatch, read_only=True).run()
    assert not at.exception
    assert any("casesearch index" in e.value for e in [*at.info, *at.warning, *at.error])
    assert not (tmp_path / "index").exists() and not (tmp_path / "store").exists()


def test_the_app_command_passes_read_only_on(tmp_path: Path) -> None:
    from casesearch.cli import app_cmd
    from casesearch.cli.main import build_parser

    args: argparse.Namespace = build_parser().parse_args(
        ["app", "--read-only", "--data-dir", str(tmp_path)]
    )
    env = app_cmd.environment(args)
    assert env["CASESEARCH_READ_ONLY"] == "1" and env["CASESEARCH_DATA_DIR"] == str(tmp_path)
    plain = build_parser().parse_args(["app", "--data-dir", str(tmp_path)])
    assert "--server.address=127.0.0.1" in app_cmd.command(plain)
