"""Keeping and sharing in the app (AppTest, real index): links, exports, more like this, case page,
and what the app says when nothing answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from casesearch.ui.messages import MESSAGES
from casesearch.ui.render import literal

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parents[1] / "app.py")
QUESTION = "how to involve unemployed residents in waste work"
URBAN_PLANEN = "partnerskabet-urban-planen"


def _app(data_dir: Path, monkeypatch: pytest.MonkeyPatch, **params: str | list[str]) -> AppTest:
    monkeypatch.setenv("CASESEARCH_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at


def _ask(at: AppTest, question: str, button: str = "Search") -> AppTest:
    at.text_input(key="query_input").input(question)
    return at.button(key=f"FormSubmitter:ask-{button}").click().run()


def _result_ids(at: AppTest) -> list[str]:
    return [r.key.split("|")[2] for r in at.radio if r.key and r.key.startswith("judge|")]


def _like_ids(at: AppTest) -> list[str]:
    return [b.key.split("|")[1] for b in at.button if b.key and b.key.startswith("like|")]


def _params(at: AppTest) -> dict[str, list[str]]:
    """The page's URL parameters, every value as a list (as a browser's address has them)."""
    return {k: v if isinstance(v, list) else [v] for k, v in dict(at.query_params).items()}


def test_a_search_is_a_link_that_reproduces_it(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _ask(_app(seed_data_dir, monkeypatch).run(), QUESTION)
    at.sidebar.radio(key="opt_mode").set_value("dense").run()
    at.sidebar.slider(key="opt_k").set_value(5).run()
    at.sidebar.radio(key="opt_lang").set_value("da").run()
    assert not at.exception
    ids = _result_ids(at)
    assert len(ids) == 5 and URBAN_PLANEN not in ids
    link = _params(at)
    assert link["q"] == [QUESTION] and link["mode"] == ["dense"] and link["k"] == ["5"]
    assert link["clang"] == ["da"] and link["lang"] == ["en"]

    shared = _app(seed_data_dir, monkeypatch, **link).run()
    assert not shared.exception
    assert _result_ids(shared) == ids
    assert shared.text_input(key="query_input").value == QUESTION
    assert shared.sidebar.radio(key="opt_mode").value == "dense"
    assert shared.sidebar.slider(key="opt_k").value == 5


def test_a_broken_link_falls_back_to_defaults(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(seed_data_dir, monkeypatch, q=QUESTION, mode="nonsense", k="many", clang="xx").run()
    assert not at.exception
    assert at.sidebar.radio(key="opt_mode").value == "hybrid"
    assert len(_result_ids(at)) == 10
    assert URBAN_PLANEN in _result_ids(at)[:3]


def test_results_say_how_likely_they_answer_and_offer_exports(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _ask(_app(seed_data_dir, monkeypatch).run(), QUESTION)
    html = "\n".join(m.value for m in at.markdown)
    assert MESSAGES["match.strong"].en in html and "likely to answer" in html
    assert not any(MESSAGES["search.nothing_answers"].en in w.value for w in at.warning)
    labels = [b.label for b in at.download_button]
    assert labels == ["CSV", "Excel", "Markdown"]


@pytest.mark.parametrize(
    ("lang", "question", "button"),
    [
        ("en", "building permit for a carport or conservatory", "Search"),
        ("da", "hvordan håndterer man skimmelsvamp i almene boliger?", "Søg"),
    ],
)
def test_unanswerable_question_is_said_plainly(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch, lang: str, question: str, button: str
) -> None:
    at = _ask(_app(seed_data_dir, monkeypatch, lang=lang).run(), question, button)
    assert not at.exception
    assert any(MESSAGES["search.nothing_answers"].get(lang) == w.value for w in at.warning)
    html = "\n".join(m.value for m in at.markdown)
    assert MESSAGES["match.strong"].get(lang) not in html
    assert MESSAGES["match.good"].get(lang) not in html
    assert MESSAGES["match.weak"].get(lang) in html
    assert _result_ids(at)  # the closest cases are still shown


def test_more_like_this(seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _ask(_app(seed_data_dir, monkeypatch).run(), QUESTION)
    at.button(key=f"like|{URBAN_PLANEN}|1").click().run()
    assert not at.exception
    assert at.subheader[0].value == "Cases like “Partnerskabet, URBAN PLANEN”"
    ids = _like_ids(at)
    assert URBAN_PLANEN not in ids and len(ids) == 10
    assert "baeredygtighed-er-en-guldgrube" in ids[:3]
    assert _params(at)["like"] == [URBAN_PLANEN]
    # the link of "more like this" is shareable too
    shared = _app(seed_data_dir, monkeypatch, **_params(at)).run()
    assert _like_ids(shared) == ids
    # and back to the question
    back = at.button(key="like-back").click().run()
    assert _result_ids(back)[:1] == [URBAN_PLANEN] and "like" not in back.query_params


def test_case_page_shows_where_the_excerpt_came_from(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(seed_data_dir, monkeypatch, lang="da", case=URBAN_PLANEN, chunk=f"{URBAN_PLANEN}#0")
    at._page_hash = calc_hash("case")
    at = at.run()
    assert not at.exception
    assert at.title[0].value == "Partnerskabet, URBAN PLANEN"
    subheaders = [s.value for s in at.subheader]
    assert MESSAGES["case.passage"].da in subheaders and MESSAGES["case.similar"].da in subheaders
    html = "\n".join(m.value for m in at.markdown)
    assert 'class="cs-context"' in html and '<mark class="cs-chunk">' in html
    assert literal("urban-planen-best-practice-template.txt") in html
    downloads = [b.label for b in at.download_button]
    assert downloads and set(downloads) == {MESSAGES["case.download"].da}
    assert len(at.page_link) >= 5  # links to the similar cases' pages


def test_case_page_without_a_case(seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(seed_data_dir, monkeypatch, case="no-such-case")
    at._page_hash = calc_hash("case")
    at = at.run()
    assert not at.exception
    assert any(MESSAGES["case.gone"].en == i.value for i in at.info)
