"""Relevance judgments by practitioners, kept so they can join the evaluation.

Every click is appended to ``judgments/judgments.jsonl`` (an audit log with times), and the
folder is kept a valid BEIR question set at all times: ``queries.jsonl`` and
``qrels/test.tsv`` with the latest grade per question and case, the same layout as
``eval/questions``. The evaluation can therefore read the folder as it is, and a download is a
zip of it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from casesearch.core.atomic import atomic_write_text

JUDGMENTS_DIRNAME = "judgments"
LOG = "judgments.jsonl"
QUERIES = "queries.jsonl"
QRELS = "qrels/test.tsv"

#: Grades as in eval/questions: 2 answers the question, 1 useful background, 0 not relevant
#: (their words are the message catalogue's ``grade.<n>``), best first.
GRADES: tuple[int, ...] = (2, 1, 0)

_LOCK = threading.Lock()  # one writer at a time across all sessions of the process


def judgments_dir(data_dir: Path) -> Path:
    """Folder of the judgment files in a data directory."""
    return data_dir / JUDGMENTS_DIRNAME


def normalise_query(query: str) -> str:
    """The question as it is identified: spacing and case do not make a new question."""
    return " ".join(str(query).split())


def query_id(query: str) -> str:
    """Stable id of a question, distinct from the ``q...`` ids of the curated questions."""
    digest = hashlib.sha1(normalise_query(query).casefold().encode("utf-8")).hexdigest()
    return f"p{digest[:10]}"


@dataclass(frozen=True)
class Judgment:
    """One grade given to one case for one question."""

    query: str
    case_id: str
    grade: int
    case_lang: str = ""
    query_lang: str = ""
    title: str = ""
    mode: str = ""
    rank: int = 0
    time: str = ""

    @property
    def query_id(self) -> str:
        return query_id(self.query)


class JudgmentStore:
    """Reads and writes the judgment files of a data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = judgments_dir(data_dir)

    def add(self, judgment: Judgment) -> Judgment:
        """Record a grade (time-stamped now) and refresh the BEIR files."""
        if judgment.grade not in GRADES:
            raise ValueError(f"grade must be one of {sorted(GRADES)}, not {judgment.grade!r}")
        stamped = Judgment(
            **{
                **judgment.__dict__,
                "query": normalise_query(judgment.query),
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        record = {"query_id": stamped.query_id, **stamped.__dict__}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with _LOCK:
            self.folder.mkdir(parents=True, exist_ok=True)
            with (self.folder / LOG).open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
            self._write_beir(self._read_log())
        return stamped

    def _read_log(self) -> list[Judgment]:
        path = self.folder / LOG
        if not path.exists():
            return []
        out = []
        fields = set(Judgment.__dataclass_fields__)
        for raw in path.read_text(encoding="utf-8").splitlines():
            try:
                data = json.loads(raw)
                out.append(Judgment(**{k: v for k, v in data.items() if k in fields}))
            except (ValueError, TypeError):
                continue  # a torn last line after a crash must not hide the others
        return out

    def log(self) -> list[Judgment]:
        """Every judgment ever given, oldest first."""
        with _LOCK:
            return self._read_log()

    def latest(self) -> list[Judgment]:
        """The current grade per question and case (later clicks overrule earlier ones)."""
        current: dict[tuple[str, str], Judgment] = {}
        for item in self.log():
            current[(item.query_id, item.case_id)] = item
        return list(current.values())

    def grades_for(self, query: str) -> dict[str, int]:
        """Current grade per case id for one question (to show earlier choices again)."""
        qid = query_id(query)
        return {j.case_id: j.grade for j in self.latest() if j.query_id == qid}

    def _write_beir(self, log: list[Judgment]) -> None:
        current: dict[tuple[str, str], Judgment] = {}
        for item in log:
            current[(item.query_id, item.case_id)] = item
        queries: dict[str, Judgment] = {}
        for item in current.values():
            queries.setdefault(item.query_id, item)
        lines = [
            json.dumps(
                {
                    "_id": qid,
                    "text": item.query,
                    "metadata": {"lang": item.query_lang, "source": "practitioner"},
                },
                ensure_ascii=False,
            )
            for qid, item in sorted(queries.items())
        ]
        atomic_write_text(self.folder / QUERIES, "".join(f"{line}\n" for line in lines))
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="\t", lineterminator="\n")
        writer.writerow(["query-id", "corpus-id", "score"])
        for (qid, case_id), item in sorted(current.items()):
            writer.writerow([qid, case_id, item.grade])
        atomic_write_text(self.folder / QRELS, buf.getvalue())

    def export_zip(self) -> bytes:
        """The judgment folder as a zip: BEIR files plus the time-stamped log."""
        buf = io.BytesIO()
        with _LOCK, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in (QUERIES, QRELS, LOG):
                path = self.folder / name
                if path.exists():
                    zf.write(path, f"judgments/{name}")
        return buf.getvalue()
