"""The ``casesearch`` command as a user runs it: index, search (plain, JSON, batch)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casesearch.cli.main", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        check=False,
    )


def test_search_plain_output_marks_the_best_sentence(seed_data_dir: Path) -> None:
    out = run(
        "search",
        "how to involve unemployed residents in waste work",
        "-k",
        "3",
        data_dir=seed_data_dir,
    )
    assert out.returncode == 0, out.stderr
    assert "URBAN PLANEN" in out.stdout.split("\n 2.")[0]
    assert ">>>" in out.stdout and "<<<" in out.stdout
    assert "Traceback" not in out.stderr


def test_search_batch_writes_one_json_line_per_query(seed_data_dir: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        "\n".join(
            json.dumps(q, ensure_ascii=False)
            for q in [
                {"_id": "a", "text": "how to involve unemployed residents in waste work"},
                {"_id": "b", "text": "hvordan inddrager man unge i byudvikling?"},
                {"_id": "c", "text": "   "},
            ]
        ),
        encoding="utf-8",
    )
    out = run("search", "--queries", str(queries), "-k", "5", "--json", data_dir=seed_data_dir)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["query_id"] for line in lines] == ["a", "b", "c"]
    first = lines[0]["results"][0]
    assert first["case_id"] == "partnerskabet-urban-planen"
    assert first["rank"] == 1
    assert {"title", "lang", "score", "excerpt", "source", "section"} <= set(first)
    assert len(lines[1]["results"]) == 5
    assert lines[2]["results"] == [] and "empty" in lines[2]["error"]


def test_search_without_index_says_how_to_build(tmp_path: Path, model_dir: Path) -> None:
    out = run("search", "borgerinddragelse", data_dir=tmp_path)
    assert out.returncode == 2
    assert "casesearch index" in out.stderr
    assert "Traceback" not in out.stderr


def test_empty_query_exits_with_message(seed_data_dir: Path) -> None:
    out = run("search", "  ", data_dir=seed_data_dir)
    assert out.returncode == 2
    assert "empty" in out.stderr


def test_index_appends_and_prepares_only_new_sentences(
    tmp_path: Path, model_dir: Path, embedder
) -> None:
    assert embedder.dim  # the fixture converts the model into model_dir
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "models").symlink_to(model_dir / "models")
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "garden.txt").write_text(
        "Community garden in Nordby\n\nResidents turned an empty lot into a vegetable garden. "
        "Volunteers teach children to grow beans.",
        encoding="utf-8",
    )
    first = run("index", str(cases), "--json", data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["mode"] == "full"
    assert report["sentence_vectors"]["embedded"] == report["sentence_vectors"]["sentences"] >= 2

    (cases / "ferry.txt").write_text(
        "Ferry timetable with islanders\n\nIslanders redesigned the winter timetable. "
        "Three workshops were held in the harbour.",
        encoding="utf-8",
    )
    second = run("index", str(cases), data_dir=data_dir)
    assert second.returncode == 0, second.stderr
    assert "(1 embedded" in second.stdout and "append)" in second.stdout
    assert "sentence vectors: 2 sentences, 2 embedded now" in second.stdout

    (cases / "bikes.txt").write_text("Bike repair cafe\n\nNeighbours fix bicycles.", "utf-8")
    third = run("index", str(cases), "--no-sentences", data_dir=data_dir)
    assert third.returncode == 0, third.stderr
    assert "append)" in third.stdout and "sentence vectors" not in third.stdout
    found = run("search", "fixing bicycles together", "-k", "1", data_dir=data_dir)
    assert "Bike repair cafe" in found.stdout and ">>>" in found.stdout


def test_a_bad_line_in_a_queries_file_is_named_and_the_rest_answered(
    seed_data_dir: Path, tmp_path: Path
) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"_id": "a", "text": "klimaborgerting"}) + "\n"
        '{"_id": "b", "text": "unfinished\n'
        "[1, 2]\n" + json.dumps({"_id": "d", "text": "unge i byudvikling"}) + "\n",
        encoding="utf-8",
    )
    out = run(
        "search", "--queries", str(queries), "-k", "2", "--no-highlight", data_dir=seed_data_dir
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert f"line 2 of {queries}" in out.stderr and f"line 3 of {queries}" in out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["query_id"] for line in lines] == ["a", "2", "3", "d"]
    assert len(lines[0]["results"]) == 2 and len(lines[3]["results"]) == 2
    assert "error" in lines[1] and "error" in lines[2]


def test_a_number_of_results_below_one_is_refused(seed_data_dir: Path) -> None:
    for k in ("0", "-3", "many"):
        out = run("search", "klimaborgerting", "-k", k, data_dir=seed_data_dir)
        assert out.returncode == 2, k
        assert "Traceback" not in out.stderr
        assert "-k" in out.stderr


def test_search_piped_into_head_ends_quietly(seed_data_dir: Path) -> None:
    command = (
        f"{sys.executable} -m casesearch.cli.main search klimaborgerting -k 1000 "
        f"--json --no-highlight --data-dir {seed_data_dir} | head -1"
    )
    out = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True, text=True, timeout=600, cwd=REPO, check=False,
    )  # fmt: skip
    assert out.stdout.count("\n") == 1 and out.stdout.strip()
    assert "Traceback" not in out.stderr and "BrokenPipeError" not in out.stderr
