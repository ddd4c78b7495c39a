"""The interface in Danish and English: a complete catalogue, no stray text, both languages shown.

The catalogue checks and the scan of the page code run without a model; the page renders use
AppTest against the real index of the default corpus.
"""

from __future__ import annotations

import ast
import itertools
import re
import string
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from casesearch.index.search.export import ENGLISH
from casesearch.ui.i18n import LANGUAGES, browser_language
from casesearch.ui.messages import MESSAGES
from casesearch.ui.render import literal

UI = Path(__file__).resolve().parents[1] / "ui"
APP = str(UI.parent / "app.py")
#: Modules of the app that draw something (the catalogue itself is where text belongs).
PAGE_CODE = sorted(p for p in UI.glob("*.py") if p.name not in ("messages.py", "__init__.py"))
#: Key families used as ``t(f"family.{x}")``, with every value ``x`` can take.
DYNAMIC = {
    "mode.": ("hybrid", "dense", "bm25"),
    "grade.": ("0", "1", "2"),
    "match.": ("strong", "good", "weak"),
    "phase.": ("model", "ingest", "embed", "save", "sentences", "load", "done"),
    "search.examples_": ("da", "en"),
    "export.": tuple(ENGLISH),
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --------------------------------------------------------------------------- catalogue
def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    for key, message in MESSAGES.items():
        assert message.en.strip(), f"{key} has no English text"
        assert message.da.strip(), f"{key} has no Danish text"
        assert _placeholders(message.en) == _placeholders(message.da), key


def test_danish_texts_are_translated() -> None:
    """Danish differs from English except for names and words both languages share."""
    same = [k for k, m in MESSAGES.items() if m.en == m.da]
    allowed = {
        "page.case", "case.title", "search.title", "corpus.cases", "judgments.col_case",
        "export.csv_button", "export.xlsx_button", "export.md_button", "export.match",
        "export.link", "export.cases", "judgments.log_file",
    }  # fmt: skip
    assert set(same) <= allowed, sorted(set(same) - allowed)


def _used_keys() -> tuple[set[str], list[str]]:
    """Keys passed to ``t`` in the page code, and f-string keys as their literal prefix."""
    keys: set[str] = set()
    prefixes: list[str] = []
    for path in PAGE_CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != "t" or not node.args:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                keys.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                first = arg.values[0]
                assert isinstance(first, ast.Constant), f"{path.name}: key must start with text"
                prefixes.append(str(first.value))
    return keys, prefixes


def test_every_key_the_pages_use_is_in_the_catalogue() -> None:
    keys, prefixes = _used_keys()
    assert len(keys) > 100
    missing = sorted(k for k in keys if k not in MESSAGES)
    assert not missing, missing
    for prefix in prefixes:
        assert prefix in DYNAMIC, f"t(f'{prefix}...') needs its values listed in DYNAMIC"
        for value in DYNAMIC[prefix]:
            assert prefix + value in MESSAGES, prefix + value


#: Strings in page code that may look like words but are not shown as prose.
NOT_PROSE = {"casesearch"}
_TAGS = re.compile(r"<[^>]*>|\{[^}]*\}|&#?\w+;")
_WORD = re.compile(r"^[A-Za-zÆØÅæøå]+[.,:;!?]?$")


def _is_prose(text: str) -> bool:
    """Two words in a row, or one capitalised word: text a person would read."""
    bare = _TAGS.sub(" ", text)
    tokens = bare.split()
    words = [bool(_WORD.match(tok)) and len(tok.strip(".,:;!?")) > 1 for tok in tokens]
    if any(a and b for a, b in itertools.pairwise(words)):
        return True
    return len(tokens) == 1 and words[0] and tokens[0][0].isupper() and len(tokens[0]) > 2


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_no_literal_interface_text_in_page_code() -> None:
    """Every word a page shows comes from the catalogue: no English (or Danish) literals."""
    found = []
    for path in PAGE_CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        # Logging calls speak to the operator and exceptions to the programmer, not to the
        # visitor.
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                skip.update(id(n) for n in ast.walk(node.exc))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("exception", "info", "warning", "debug", "error")
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "log"
            ):
                skip.update(id(a) for a in node.args)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if id(node) in skip or node.value in NOT_PROSE or path.name == "common.py":
                continue
            if _is_prose(node.value):
                found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "\n".join(found)


def test_the_scan_would_catch_a_literal() -> None:
    assert _is_prose("Find cases")
    assert _is_prose("Search")
    assert _is_prose('<div class="x">Nothing answers</div>')
    assert not _is_prose("opt_lang")
    assert not _is_prose('<span class="cs-badge cs-lang-other">')
    assert not _is_prose(":material/search:")
    assert not _is_prose("text/csv")


@pytest.mark.parametrize(
    ("locale", "header", "expected"),
    [
        ("da-DK", None, "da"),
        ("en-US", "da,en;q=0.8", "en"),
        (None, "da-DK,da;q=0.9,en;q=0.8", "da"),
        (None, "en-GB,en;q=0.9,da;q=0.8", "en"),
        (None, "nb-NO,nb;q=0.9", "da"),
        (None, "de-DE", "en"),
        (None, None, "en"),
        (None, "da;q=bad", "da"),
    ],
)
def test_browser_language(locale: str | None, header: str | None, expected: str) -> None:
    assert browser_language(locale, header) == expected


# --------------------------------------------------------------------------- pages


def _open(data_dir: Path, monkeypatch: pytest.MonkeyPatch, lang: str, page: str) -> AppTest:
    monkeypatch.setenv("CASESEARCH_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    if page != "search":
        at._page_hash = calc_hash(page)
    if page == "case":
        at.query_params["case"] = "partnerskabet-urban-planen"
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "caption", "info", "markdown") for e in
             getattr(at, kind)]  # fmt: skip
    parts += [b.label for b in at.button]
    return "\n".join(str(p) for p in parts)


PAGES = {
    "search": "search.title",
    "corpus": "corpus.title",
    "judgments": "judgments.title",
    "evaluation": "eval.title",
}


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", [*PAGES, "case"])
def test_each_page_renders_in_both_languages(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch, lang: str, page: str
) -> None:
    at = _open(seed_data_dir, monkeypatch, lang, page)
    assert not at.exception, at.exception
    other = "en" if lang == "da" else "da"
    text = _texts(at)
    if page in PAGES:
        assert at.title[0].value == MESSAGES[PAGES[page]].get(lang)
    else:
        assert at.title[0].value == "Partnerskabet, URBAN PLANEN"
        assert MESSAGES["case.similar"].get(lang) in text
    # the sidebar switch and the navigation speak the chosen language
    assert at.query_params["lang"] == [lang] or at.query_params["lang"] == lang
    # no sentence of the other language's catalogue shows (short words may coincide)
    leaked = [
        m.get(other)
        for m in MESSAGES.values()
        if len(m.get(other)) > 25
        and m.get(other) != m.get(lang)
        and (m.get(other) in text or literal(m.get(other)) in text)
    ]
    assert not leaked, leaked


@pytest.mark.slow
def test_search_results_in_danish(seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(seed_data_dir, monkeypatch, "da", "search")
    at.text_input(key="query_input").input("hvordan inddrager man unge i byudvikling?")
    at = at.button(key="FormSubmitter:ask-Søg").click().run()
    assert not at.exception
    html = "\n".join(m.value for m in at.markdown)
    assert "Dansk" in html or "dansk" in html  # the language badge speaks Danish
    assert any(MESSAGES[f"match.{m}"].da in html for m in ("strong", "good"))
    assert literal(MESSAGES["search.summary_tail"].da) in html
    labels = [r.label for r in at.radio]
    assert MESSAGES["judge.question"].da in labels


@pytest.mark.slow
def test_language_switch_keeps_the_search(
    seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(seed_data_dir, monkeypatch, "en", "search")
    at.text_input(key="query_input").input("how to involve unemployed residents in waste work")
    at = at.button(key="FormSubmitter:ask-Search").click().run()
    at.sidebar.slider(key="opt_k").set_value(5).run()
    before = [r.key for r in at.radio if r.key and r.key.startswith("judge|")]
    at.sidebar.button_group(key="ui_lang_switch").set_value("da").run()
    assert not at.exception
    assert at.title[0].value == MESSAGES["search.title"].da
    assert at.query_params["lang"] in ("da", ["da"])
    after = [r.key for r in at.radio if r.key and r.key.startswith("judge|")]
    assert after == before and len(after) == 5
