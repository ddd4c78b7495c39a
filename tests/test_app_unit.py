"""The web app run in-process with Streamlit's AppTest against real, prebuilt indexes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from casesearch.ui.judgments import JudgmentStore, query_id
from casesearch.ui.render import literal, safe_url

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parents[1] / "app.py")
QUESTION = "how to involve unemployed residents in waste work"
URBAN_PLANEN = "partnerskabet-urban-planen"

HOSTILE = """Kolonihave trick case

Residents of the allotment garden <script>window.__pwned = 1</script> met every week to plan \
the shared compost and the tool shed. <img src=x onerror="window.__pwned = 2"> They invited the \
municipality to [click here](javascript:alert(1)) and wrote **bold claims** with :red[colour] \
and $x^2$ formulas.

# Not a heading
<b>not bold</b> <a href="javascript:alert(2)">link</a> ![pic](http://example.com/x.png)
The allotment association now runs the garden together with the social housing department.
"""

# Table exports keep markup verbatim, so the raw tags reach the case text and title.
HOSTILE_ROW = {
    "title": "Allotment <script>window.__pwned = 3</script> **garden**",
    "text": "Gardeners <script>window.__pwned = 4</script> met <img src=x onerror=alert(2)> "
    "weekly in the allotment garden to talk about compost, tools and sharing the work. "
    "[more](javascript:alert(3))",
}


def _app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CASESEARCH_DATA_DIR", str(data_dir))
    return AppTest.from_file(APP, default_timeout=120)


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Switch to a page registered as a function (``AppTest.switch_page`` takes files only).

    Streamlit names a function page by the hash of its URL path, as a browser request does.
    """
    at._page_hash = calc_hash(url_path)
    return at


def _ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="query_input").input(question)
    return at.button(key="FormSubmitter:ask-Search").click().run()


def _result_ids(at: AppTest) -> list[str]:
    """Case ids of the results on the page, in rank order (from their judgment controls)."""
    return [r.key.split("|")[2] for r in at.radio if r.key and r.key.startswith("judge|")]


def _html(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def seeded(seed_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = _app(seed_data_dir, monkeypatch).run()
    assert not at.exception, at.exception
    return at


def test_question_finds_urban_planen(seeded: AppTest) -> None:
    at = _ask(seeded, QUESTION)
    assert not at.exception
    ids = _result_ids(at)
    assert URBAN_PLANEN in ids[:3]
    assert "URBAN PLANEN" in _html(at)
    # a highlighted best sentence and the "show more" context are there
    assert '<mark class="cs-hl">' in _html(at)
    assert any(e.label == "Show more of this case" for e in at.expander)


def test_cross_language_results_are_announced(seeded: AppTest) -> None:
    at = _ask(seeded, QUESTION)
    notes = " ".join(i.value for i in at.info)
    assert "Your question looks English" in notes and "Danish" in notes


def test_language_filter_changes_results(seeded: AppTest) -> None:
    at = _ask(seeded, QUESTION)
    assert URBAN_PLANEN in _result_ids(at)
    at.sidebar.radio(key="opt_lang").set_value("da").run()
    ids = _result_ids(at)
    assert ids and URBAN_PLANEN not in ids
    assert "English" not in "".join(m.value for m in at.markdown if "cs-badge" in m.value)


def test_number_of_results_and_mode(seeded: AppTest) -> None:
    at = _ask(seeded, QUESTION)
    at.sidebar.slider(key="opt_k").set_value(4).run()
    assert len(_result_ids(at)) == 4
    at.sidebar.radio(key="opt_mode").set_value("bm25").run()
    assert not at.exception
    assert URBAN_PLANEN in _result_ids(at)


def test_example_question_runs_a_search(seeded: AppTest) -> None:
    at = seeded.button(key="ex-da-0").click().run()
    assert at.text_input(key="query_input").value == "hvordan inddrager man unge i byudvikling?"
    assert _result_ids(at)


def test_empty_question_gives_a_message(seeded: AppTest) -> None:
    at = _ask(seeded, "   ")
    assert not at.exception
    assert any("Type a question" in i.value for i in at.info)
    assert not _result_ids(at)


def test_no_results_gives_a_message(seeded: AppTest) -> None:
    at = _ask(seeded, QUESTION)
    at.sidebar.multiselect(key="opt_collections").set_value(
        ["inspiration-til-praksis-center-for-borgerdialog"]
    )
    at.sidebar.radio(key="opt_lang").set_value("en").run()
    assert not at.exception
    assert not _result_ids(at)
    assert any("No cases match" in i.value for i in at.info)


def test_feedback_is_written_to_the_judgments_files(seeded: AppTest, seed_data_dir: Path) -> None:
    at = _ask(seeded, QUESTION)
    key = f"judge|{query_id(QUESTION)}|{URBAN_PLANEN}"
    at.radio(key=key).set_value(2).run()
    assert not at.exception
    folder = seed_data_dir / "judgments"
    log = [json.loads(line) for line in (folder / "judgments.jsonl").read_text().splitlines()]
    mine = [r for r in log if r["case_id"] == URBAN_PLANEN and r["query"] == QUESTION]
    assert mine and mine[-1]["grade"] == 2 and mine[-1]["case_lang"] == "en"
    assert mine[-1]["query_lang"] == "en" and mine[-1]["time"]
    qrels = (folder / "qrels" / "test.tsv").read_text().splitlines()
    assert qrels[0] == "query-id\tcorpus-id\tscore"
    assert f"{query_id(QUESTION)}\t{URBAN_PLANEN}\t2" in qrels
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text().splitlines()]
    assert any(q["_id"] == query_id(QUESTION) and q["text"] == QUESTION for q in queries)
    # a later visit shows the earlier grade again
    again = _ask(_app(seed_data_dir, pytest.MonkeyPatch()).run(), QUESTION)
    assert again.radio(key=key).value == 2
    # the Judgments page lists it and offers the download
    page = open_page(again, "judgments").run()
    assert not page.exception
    assert page.dataframe and URBAN_PLANEN in page.dataframe[0].value["Case id"].tolist()
    assert JudgmentStore(seed_data_dir).export_zip()[:2] == b"PK"


def test_other_pages_render(seeded: AppTest) -> None:
    at = open_page(seeded, "corpus").run()
    assert not at.exception
    assert any(m.label == "Cases" for m in at.metric)
    assert "cs-fulltext" in _html(at)
    at = open_page(seeded, "evaluation").run()
    assert not at.exception
    assert at.title[0].value == "Evaluation"


# --------------------------------------------------------------------------- unsafe text
@pytest.fixture(scope="module")
def hostile_data_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """An index of one file full of HTML and markdown tricks."""
    from casesearch.index.storage.build import build_index
    from casesearch.ingest.pipeline import ingest_paths
    from casesearch.ingest.store import load_store

    source = tmp_path_factory.mktemp("hostile-src")
    (source / "kolonihave-trick.txt").write_text(HOSTILE, encoding="utf-8")
    (source / "export.jsonl").write_text(json.dumps(HOSTILE_ROW) + "\n", encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("hostile-data")
    ingest_paths([source], data_dir)
    store = load_store(data_dir)
    assert store is not None and store.cases
    build_index(store.cases, data_dir, embedder)
    return data_dir


def _assert_inert(html: str) -> None:
    for bad in ("<script", "<img", "<b>", "javascript:", "**", "](", ":red[", "$x", "onerror="):
        assert bad not in html, bad
    assert "<a href" not in html or 'href="http' in html


def test_case_text_cannot_inject_markup(
    hostile_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(hostile_data_dir, monkeypatch).run()
    at = _ask(at, "allotment garden compost")
    assert _result_ids(at)
    html = "\n".join(m.value for m in at.markdown if "<style>" not in m.value)
    _assert_inert(html)
    assert "&#60;script&#62;" in html  # shown as text, not dropped
    for case_id in _result_ids(at):
        at.session_state["corpus_case"] = case_id
        page = open_page(at, "corpus").run()
        full = "\n".join(m.value for m in page.markdown if "<style>" not in m.value)
        assert "cs-fulltext" in full
        _assert_inert(full)


def test_literal_escapes_everything_markdown_and_html_use() -> None:
    text = "<b>x</b> **y** [z](javascript:a) $m$ :red[r] # h\n\nnext"
    out = literal(text)
    assert "<b>" not in out and "**" not in out and "](" not in out and "$" not in out
    assert "\n" not in out and out.count("<br>") == 2
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url('https://x.org/"onmouseover=1') is None


# --------------------------------------------------------------------------- pieces
def test_upload_names_stay_inside_the_uploads_folder() -> None:
    from casesearch.ui.service import safe_upload_name

    assert safe_upload_name("../../etc/passwd") == "passwd"
    assert safe_upload_name("..\\..\\evil.TXT") == "evil.txt"
    assert safe_upload_name(".hidden.md") == "hidden.md"
    assert safe_upload_name("Kolonihave i Nordby (v2).docx") == "Kolonihave i Nordby _v2.docx"
    assert safe_upload_name("") == "upload"


def test_judgments_folder_is_a_question_set(tmp_path: Path) -> None:
    from casesearch.ui.judgments import Judgment

    store = JudgmentStore(tmp_path)
    store.add(Judgment(query="Unge  i byudvikling", case_id="a", grade=1, query_lang="da"))
    store.add(Judgment(query="unge i byudvikling", case_id="a", grade=2, query_lang="da"))
    store.add(Judgment(query="unge i byudvikling", case_id="b", grade=0, query_lang="da"))
    assert len(store.log()) == 3
    assert store.grades_for("UNGE i byudvikling") == {"a": 2, "b": 0}
    with pytest.raises(ValueError):
        store.add(Judgment(query="x", case_id="a", grade=5))
    eval_dataset = pytest.importorskip("casesearch.eval.dataset")
    qset = eval_dataset.load_questions(tmp_path / "judgments")
    assert [q.lang for q in qset.questions] == ["da"]
    assert qset.qrels == {query_id("unge i byudvikling"): {"a": 2, "b": 0}}


def test_evaluation_page_shows_the_latest_report(
    seed_data_dir: Path, searcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    runner = pytest.importorskip("casesearch.eval.runner")
    report_mod = pytest.importorskip("casesearch.eval.report")
    dataset = pytest.importorskip("casesearch.eval.dataset")
    data_dir = tmp_path / "data"
    shutil.copytree(seed_data_dir, data_dir)
    questions = Path(APP).parent / "eval" / "questions"
    qset = dataset.load_questions(questions)
    qset = qset.subset([q.id for q in qset.questions[:4]])
    report = runner.run_evaluation(searcher, qset, ["hybrid", "bm25"])
    report_mod.write_report(report, data_dir=data_dir)
    at = _app(data_dir, monkeypatch).run()
    at = open_page(at, "evaluation").run()
    assert not at.exception
    assert any(s.value.startswith("nDCG@10") for s in at.subheader)
    table = at.dataframe[0].value
    assert set(table["Mode"]) == {"hybrid", "bm25"}
    assert len(at.dataframe) >= 2  # metrics and worst questions


def test_outdated_index_is_rebuilt_on_request(
    seed_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    data_dir = tmp_path / "data"
    shutil.copytree(seed_data_dir, data_dir)
    manifest = data_dir / "index" / "manifest.json"
    old = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**old, "format_version": -1}))
    at = _app(data_dir, monkeypatch).run()
    assert not at.exception
    assert any("has to be rebuilt" in w.value for w in at.warning)
    [button] = [b for b in at.button if b.label == "Rebuild the search index"]
    at = button.click().run(timeout=300)
    assert not at.exception
    assert json.loads(manifest.read_text())["format_version"] == old["format_version"]
    assert _result_ids(_ask(at, QUESTION))
