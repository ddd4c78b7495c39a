"""Keeping a result list: CSV, Excel and Markdown, from the library and from the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from casesearch.core.languages import language_name
from casesearch.index.search import export
from casesearch.index.search.response import SearchResponse, SearchResult

REPO = Path(__file__).resolve().parents[1]


def _result(rank: int, title: str, lang: str, relevance: float | None) -> SearchResult:
    excerpt = "Beboerne sorterer affald. Ledige blev affaldsguider i området! Det virkede."
    return SearchResult(
        rank=rank,
        case_id=f"case-{rank}",
        title=title,
        lang=lang,
        score=1.0 / rank,
        similarity=0.8,
        excerpt=excerpt,
        highlight=(excerpt.index("Ledige"), excerpt.index(" Det")),
        section="Erfaringer",
        source=f"/data/corpus/{rank}.txt",
        collection="inspiration-til-praksis",
        url="https://example.org/case" if rank == 1 else None,
        chunk_id=f"case-{rank}#0",
        chunk_start=0,
        chunk_end=len(excerpt),
        matched_chunks=1,
        relevance=relevance,
        match=None if relevance is None else ("strong" if relevance > 0.5 else "weak"),
    )


def _response() -> SearchResponse:
    response = SearchResponse(
        query="affald og ledige, æøå",
        results=[
            _result(1, "Partnerskabet, URBAN PLANEN", "en", 0.81),
            _result(2, "Bæredygtighed er en guldgrube!", "da", 0.12),
        ],
    )
    response.calibrated = True
    return response


def test_rows_and_csv_read_back_with_pandas() -> None:
    context = export.ExportContext("affald og ledige, æøå", filters="language: Danish")
    table = export.rows(_response(), context, language_name)
    data = export.to_csv(table)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheet programs read UTF-8
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(frame.columns) == [export.ENGLISH[c] for c in export.COLUMNS]
    assert frame["Title"].tolist() == [
        "Partnerskabet, URBAN PLANEN",
        "Bæredygtighed er en guldgrube!",
    ]
    assert frame["Language"].tolist() == ["English", "Danish"]
    assert frame["Relevance"].tolist() == [0.81, 0.12]
    assert frame["Match"].tolist() == ["strong", "weak"]
    assert frame["Question"].iloc[0] == "affald og ledige, æøå"
    assert "»Ledige blev affaldsguider i området!«" in frame["Excerpt"].iloc[0]
    assert frame["Best sentence"].iloc[0] == "Ledige blev affaldsguider i området!"
    assert frame["Link"].tolist() == ["https://example.org/case", "/data/corpus/2.txt"]
    assert frame["Section"].iloc[1] == "Erfaringer"


def test_excel_workbook_reads_back() -> None:
    words = {**export.ENGLISH, "title": "Titel"}
    context = export.ExportContext("q", case_link=lambda r: f"http://app/case?case={r.case_id}")
    table = export.rows(_response(), context, language_name, words)
    frame = pd.read_excel(io.BytesIO(export.to_xlsx(table, words)), engine="openpyxl")
    assert frame["Titel"].tolist()[0] == "Partnerskabet, URBAN PLANEN"
    assert frame["Link"].tolist() == ["http://app/case?case=case-1", "http://app/case?case=case-2"]
    assert frame["Rank"].tolist() == [1, 2]


def test_markdown_cites_every_case() -> None:
    context = export.ExportContext("affald [og] *ledige*", link="http://app/search?q=x")
    text = export.to_markdown(_response(), context, language_name)
    assert text.startswith("# Cases for “affald \\[og\\] \\*ledige\\*”")
    assert "<http://app/search?q=x>" in text
    assert "## 1. Partnerskabet, URBAN PLANEN" in text
    assert "Relevance 81% (strong)" in text
    assert "Source: *Partnerskabet, URBAN PLANEN*. inspiration\\-til\\-praksis. " in text
    assert "Section: Erfaringer. <https://example.org/case>." in text
    assert "`/data/corpus/2.txt`" in text
    assert "Nothing in this collection" not in text
    weak = _response()
    weak.results = weak.results[1:]
    assert "Nothing in this collection seems to answer" in export.to_markdown(
        weak, context, language_name
    )


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "casesearch.cli.main", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        timeout=600,
        cwd=REPO,
        check=False,
    )


@pytest.mark.slow
def test_cli_formats(seed_data_dir: Path) -> None:
    question = "how to involve unemployed residents in waste work"
    out = _cli("search", question, "-k", "4", "--format", "csv", data_dir=seed_data_dir)
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(io.BytesIO(out.stdout), encoding="utf-8-sig")
    assert len(frame) == 4 and frame["Rank"].tolist() == [1, 2, 3, 4]
    assert frame["Title"].iloc[0] == "Partnerskabet, URBAN PLANEN"
    assert frame["Match"].iloc[0] == "strong" and 0.5 <= frame["Relevance"].iloc[0] <= 1
    md = _cli("search", question, "-k", "3", "--format", "md", data_dir=seed_data_dir)
    assert md.returncode == 0, md.stderr
    assert md.stdout.decode().count("\n## ") == 3
    raw = _cli("search", question, "-k", "3", "--json", data_dir=seed_data_dir)
    record = json.loads(raw.stdout)
    assert all(r["match"] in ("strong", "good", "weak") for r in record["results"])
    assert all(0 <= r["relevance"] <= 1 for r in record["results"])
    assert record["facts"]["relevance_calibrated"] is True


@pytest.mark.slow
def test_cli_says_when_nothing_answers(seed_data_dir: Path) -> None:
    out = _cli("search", "building permit for a carport or conservatory", "-k", "3",
               data_dir=seed_data_dir)  # fmt: skip
    text = out.stdout.decode()
    assert out.returncode == 0, out.stderr
    assert "Nothing in this collection seems to answer this; the closest cases are:" in text
    assert "weak match" in text and "strong match" not in text
    assert "[English]" in text or "[Danish]" in text  # languages in words, not codes


def test_cli_notices_name_languages_in_words() -> None:
    from casesearch.cli.wording import notices
    from casesearch.index.search.response import FilterFacts

    response = SearchResponse(
        query="q",
        results=[_result(1, "A", "en", 0.1)],
        query_languages={"da": 0.95, "en": 0.05},
        filter_facts=FilterFacts(unknown_language="de", languages=("da", "en")),
    )
    text = " ".join(notices(response))
    assert "No cases in German; the index has Danish and English." in text
    assert "Your question looks Danish; results include cases in English." in text
    assert "'de'" not in text and "'da'" not in text
