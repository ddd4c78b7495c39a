"""Labelled questions in BEIR layout: the queries, their judgments and their metadata.

The project's own set (``eval/questions``) and the shared BEIR sets use the same files
(``queries.jsonl`` and ``qrels/<name>.tsv``), so one loader serves both; the own set adds a
``metadata`` object per question (language, information need, tune/test split) that the
evaluation uses to split figures by language and to keep tuning away from the test split.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

SPLITS = ("tune", "test", "all")


@dataclass(frozen=True)
class Question:
    """One labelled question.

    Attributes:
        id: the BEIR query id.
        text: the question as a user would type it.
        lang: language the question is written in (None until known).
        split: ``tune`` or ``test`` for the own set; None for sets without splits.
        need: the information need it expresses (several questions may share one).
    """

    id: str
    text: str
    lang: str | None = None
    split: str | None = None
    need: str | None = None
    metadata: dict[str, object] = field(default_factory=dict, compare=False)


@dataclass
class QuestionSet:
    """Questions plus graded judgments ``qrels[query_id][case_id] = grade``."""

    name: str
    questions: list[Question]
    qrels: dict[str, dict[str, int]]
    folder: str = ""

    def select(self, split: str) -> QuestionSet:
        """The questions of one split (``all`` keeps everything, including unsplit sets)."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
        if split == "all":
            return self
        kept = [q for q in self.questions if q.split == split]
        ids = {q.id for q in kept}
        return QuestionSet(
            self.name, kept, {q: r for q, r in self.qrels.items() if q in ids}, self.folder
        )

    def subset(self, ids: list[str]) -> QuestionSet:
        """Only the named questions (in the given order); for quick checks and tests."""
        by_id = {q.id: q for q in self.questions}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise KeyError(f"unknown question id(s): {', '.join(missing)}")
        kept = set(ids)
        return QuestionSet(
            self.name,
            [by_id[i] for i in ids],
            {q: r for q, r in self.qrels.items() if q in kept},
            self.folder,
        )


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Graded judgments of a BEIR ``qrels/*.tsv`` file (header row optional)."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def load_questions(folder: Path, qrels_name: str = "test") -> QuestionSet:
    """Read a BEIR folder's ``queries.jsonl`` and ``qrels/<qrels_name>.tsv``.

    Questions without any judgment are dropped: BEIR query files often list more queries than
    the qrels judge, and an unjudged question can only score zero.

    Raises:
        FileNotFoundError: when either file is missing.
    """
    folder = Path(folder)
    qrels = read_qrels(folder / "qrels" / f"{qrels_name}.tsv")
    questions = []
    with (folder / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            raw = json.loads(line)
            qid = str(raw["_id"])
            if qid not in qrels:
                continue
            meta = dict(raw.get("metadata") or {})
            questions.append(
                Question(
                    id=qid,
                    text=str(raw.get("text", "")),
                    lang=_opt(meta.get("lang")),
                    split=_opt(meta.get("split")),
                    need=_opt(meta.get("need")),
                    metadata=meta,
                )
            )
    return QuestionSet(folder.name, questions, qrels, str(folder))


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


#: Questions that nothing in the default corpus answers, kept apart from ``queries.jsonl`` so
#: that no retrieval figure changes (a question without relevant cases has no nDCG).
UNANSWERABLE = "unanswerable.jsonl"


def load_unanswerable(folder: Path) -> list[Question]:
    """The questions of ``folder/unanswerable.jsonl`` (none when the file is absent).

    Used by the relevance calibration as questions where every result is a non-answer, and
    to check what the front ends say when nothing answers.
    """
    path = Path(folder) / UNANSWERABLE
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            raw = json.loads(line)
            meta = dict(raw.get("metadata") or {})
            out.append(
                Question(
                    id=str(raw["_id"]),
                    text=str(raw.get("text", "")),
                    lang=_opt(meta.get("lang")),
                    split=_opt(meta.get("split")),
                    need=_opt(meta.get("need")),
                    metadata=meta,
                )
            )
    return out
