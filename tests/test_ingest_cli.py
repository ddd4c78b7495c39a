"""The ingest subcommand: JSON report on stdout, clear exit codes, column overrides."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from casesearch.cli import ingest_args as cli

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser, data_dir=True)
    return parser.parse_args(argv)


def test_report_is_json_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.run(parse([str(CORPUS), "--data-dir", str(tmp_path), "--report"]))
    out, err = capsys.readouterr()
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"files", "cases", "chunks", "languages", "duplicates_merged", "skipped"}
    assert report["cases"] >= 85
    assert "README.md" in err  # skipped files are named on stderr too


def test_nothing_ingested_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    code = cli.run(parse([str(tmp_path / "in"), "--data-dir", str(tmp_path / "data")]))
    _, err = capsys.readouterr()
    assert code != 0
    assert "no case could be read" in err and "empty file" in err


def test_columns_option_maps_an_unusual_export(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    row = {
        "navn": "Borgerbudget",
        "brødtekst": "Borgerne i bydelen fordelte selv en million kroner til lokale projekter.",
    }
    (folder / "export.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", "utf-8")
    args = parse([str(folder), "--data-dir", str(tmp_path / "d1")])
    assert cli.run(args) == 1  # the default names do not fit
    args = parse(
        [str(folder), "--data-dir", str(tmp_path / "d2"), "--columns", "title=navn,text=brødtekst"]
    )
    assert cli.run(args) == 0
    options = cli.options_from_args(args)
    assert options.columns["title"][0] == "navn"


def test_bad_columns_value_is_rejected() -> None:
    with pytest.raises(SystemExit):
        parse(["x", "--data-dir", "d", "--columns", "title"])
