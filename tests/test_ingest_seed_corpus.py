"""The default corpus ingests into the cases a reader of those five documents would expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from casesearch.ingest.model import Case, chunk_text_for_embedding
from casesearch.ingest.pipeline import ingest_paths
from casesearch.ingest.store import Store, load_store

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
LIST_PAGE = "inspiration-til-praksis-center-for-borgerdialog"
BOILERPLATE = ("Skip to content", "Back To Top", "CfB udgivelser", "Uden kategori", "All")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Store]:
    data_dir = tmp_path_factory.mktemp("data")
    report = ingest_paths([CORPUS], data_dir)
    store = load_store(data_dir)
    assert store is not None
    return report.to_dict(), store


def _by_title(store: Store, title: str) -> Case:
    matches = [c for c in store.cases if c.title == title]
    assert len(matches) == 1, f"{title!r}: {[c.title for c in store.cases][:5]}..."
    return matches[0]


def test_report_counts(ingested: tuple[dict, Store]) -> None:
    report, store = ingested
    assert 85 <= report["cases"] <= 95
    assert report["cases"] == len(store.cases)
    assert report["duplicates_merged"] == 1
    assert report["languages"].get("da", 0) >= 80
    assert report["languages"].get("en", 0) == 3
    assert report["chunks"] >= report["cases"]
    # Only the folder README is skipped, and it says why.
    assert [Path(s["path"]).name for s in report["skipped"]] == ["README.md"]


def test_urban_planen_copies_merge_into_one_case(ingested: tuple[dict, Store]) -> None:
    _, store = ingested
    urban = [c for c in store.cases if "URBAN PLANEN" in c.title.upper()]
    assert len(urban) == 1
    case = urban[0]
    assert case.title == "Partnerskabet, URBAN PLANEN"
    # The clean export is kept, the PDF extraction is listed as merged.
    assert Path(case.source).name == "urban-planen-best-practice-template.txt"
    assert [Path(s).name for s in case.also_sources] == [
        "urban-planen-best-practice-template-pdf-extract.txt"
    ]
    assert case.lang == "en"
    assert "<p>" not in case.text and "<ul" not in case.text


def test_template_sections_and_fields(ingested: tuple[dict, Store]) -> None:
    _, store = ingested
    case = _by_title(store, "Partnerskabet, URBAN PLANEN")
    sections = {c.section for c in case.chunks}
    for label in ("Objectives", "Difficulties founded", "Success factors", "Weak elements"):
        assert label in sections
    assert case.fields["country_region"] == "Copenhagen"
    assert case.fields["timescale"].startswith("Several different initiatives")
    assert "social housing" in case.fields["thematic_area"]
    assert case.fields["institution"].startswith("Partnerskabet (Partnership)")
    # The form's definition of a best practice is template text, not case content.
    assert "already proved effective" not in case.text
    assert "BEST PRACTICES TEMPLATE" not in case.text
    difficulties = next(c for c in case.chunks if c.section == "Difficulties founded")
    assert case.chunk_text(difficulties).startswith("Difficulties met in this project")
    for section in case.sections:
        assert case.text[section.start : section.end].strip()
    embedded = chunk_text_for_embedding(case, difficulties)
    assert embedded.startswith("Partnerskabet, URBAN PLANEN\nDifficulties founded\n")


def test_list_page_splits_into_cases_with_real_titles(ingested: tuple[dict, Store]) -> None:
    _, store = ingested
    items = [c for c in store.cases if c.collection == LIST_PAGE]
    assert len(items) >= 80
    titles = {c.title for c in items}
    for title in (
        "Klimaborgerting – tendenser, udfordringer og muligheder",
        "Demokratisér byudviklingen!",
        "Hvordan involvere borgerne i den grønne omstilling?",
        "Dialog ved konflikter – ti skridt",
        "Vi lader de fagprofessionelle i stikken!",
    ):
        assert title in titles
    klima = _by_title(store, "Klimaborgerting – tendenser, udfordringer og muligheder")
    assert klima.text.startswith("I denne rapport opsummerer KNOCA")
    assert klima.id == "klimaborgerting-tendenser-udfordringer-og-muligheder"
    # A closing line without a full stop stays with its case instead of becoming one.
    svaere = _by_title(store, "Svære at nå – eller nemme at overse?")
    assert "Kenneth Balfelt" in svaere.text
    assert all(c.lang == "da" for c in items)


def test_no_boilerplate_in_titles_or_text(ingested: tuple[dict, Store]) -> None:
    _, store = ingested
    titles = {c.title for c in store.cases}
    for junk in (*BOILERPLATE, "Inspiration til praksis", "Cases", "See more cases"):
        assert junk not in titles
    for case in store.cases:
        for junk in ("Skip to content", "Back To Top", "• All", "Shall we have a chat"):
            assert junk not in case.text
    assert not any(t.startswith("Borgerinddragelse og samskabelse i praksis") for t in titles)


def test_english_pages(ingested: tuple[dict, Store]) -> None:
    _, store = ingested
    fred = _by_title(store, "Co-creation Pilots and New Communities")
    assert fred.lang == "en"
    assert [s.title for s in fred.sections] == ["CHALLENGE", "SOLUTION", "RESULT"]
    assert fred.fields["customer"] == "Frederiksberg Municipality"
    # Teasers for other cases and calls to action are not part of this case.
    for teaser in ("Wonderful Copenhagen", "Greve Gymnasium", "Contact our consultant"):
        assert teaser not in fred.text
    guld = _by_title(store, "One citizen, One plan – Guldborgsund, Denmark")
    assert guld.lang == "en"
    assert {"WHY | Purpose", "Lessons learned"} <= {s.title for s in guld.sections}
    assert "Poster download" not in guld.text
    assert guld.fields["date"] == "24 April 2025"


def test_chunks_index_into_case_text(ingested: tuple[dict, Store]) -> None:
    _, store = ingested
    for case in store.cases:
        assert case.chunks, case.id
        for i, chunk in enumerate(case.chunks):
            assert chunk.id == f"{case.id}#{i}"
            assert 0 <= chunk.start < chunk.end <= len(case.text)
            text = case.chunk_text(chunk)
            assert text == text.strip()
            assert len(text.split()) <= 200
            if chunk.section is not None:
                section = next(s for s in case.sections if s.title == chunk.section)
                assert section.start <= chunk.start and chunk.end <= section.end
    ids = [c.id for c in store.cases]
    assert len(ids) == len(set(ids))
