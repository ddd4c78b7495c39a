"""The case store: ``<data_dir>/store/store.json``, written atomically.

The store is the contract with the index stage: ``load_store(data_dir).cases``. It also
remembers every input file (fingerprint, status, case ids) so a re-run can tell new,
changed, unchanged and removed files apart. A write goes to a temporary file in the same
folder, is flushed to disk and renamed over the old store, so a crash mid-write leaves the
previous store whole.

Paths are stored as keys (see :mod:`ingest.paths`), so a file name that is not UTF-8 cannot
break the write; anything else that still holds a lone surrogate is written as a JSON
``\\udcXX`` escape, which reads back to the same string.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from casesearch.core.atomic import atomic_write_bytes
from casesearch.ingest.model import Case, Chunk, Section

FORMAT = 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
STORE_DIR = "store"
STORE_FILE = "store.json"


@dataclass
class SourceRecord:
    """What one input file gave.

    Attributes:
        fingerprint: sha256 of the file's bytes.
        size: bytes.
        mtime: modification time (seconds since the epoch).
        case_ids: cases that came from this file (also where it was merged as a duplicate).
        status: ``"ok"`` or ``"skipped"``.
        reason: why it was skipped.
        label: path relative to the folder above the ingest root; stable across machines,
            used to disambiguate ids.
        collection: see :attr:`ingest.model.Case.collection`.
        noise: how messy the file's text is (see :func:`ingest.dedup.noise_score`).
        note: how the file was read when that is worth knowing (e.g. a UTF-8 file with
            lines in cp1252).
        budget: for a file skipped over a time, memory or unpacked-size limit, those
            limits (:meth:`ingest.options.IngestOptions.budget_key`): the file is tried
            again when they change, not on every run.
    """

    fingerprint: str
    size: int
    mtime: float
    case_ids: list[str] = field(default_factory=list)
    status: str = "ok"
    reason: str | None = None
    label: str = ""
    collection: str = ""
    noise: float = 0.0
    note: str | None = None
    budget: str | None = None


@dataclass
class Store:
    """All cases plus the bookkeeping of the files they came from."""

    cases: list[Case] = field(default_factory=list)
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    parser_version: str = ""
    options: str = ""

    def to_json(self) -> dict[str, object]:
        """The JSON document written to ``store.json``."""
        return {
            "format": FORMAT,
            "parser_version": self.parser_version,
            "options": self.options,
            "sources": {k: asdict(v) for k, v in sorted(self.sources.items())},
            "skipped": self.skipped,
            "cases": [asdict(c) for c in self.cases],
        }


def case_from_json(raw: dict) -> Case:
    """A case from its JSON form (``dataclasses.asdict`` of a :class:`Case`)."""
    return Case(
        id=raw["id"],
        title=raw["title"],
        text=raw["text"],
        lang=raw["lang"],
        source=raw["source"],
        collection=raw.get("collection", ""),
        url=raw.get("url"),
        sections=[Section(**s) for s in raw.get("sections", [])],
        fields=dict(raw.get("fields", {})),
        also_sources=list(raw.get("also_sources", [])),
        chunks=[Chunk(**c) for c in raw.get("chunks", [])],
    )


def store_path(data_dir: Path) -> Path:
    """Where the store file lives."""
    return Path(data_dir) / STORE_DIR / STORE_FILE


def load_store(data_dir: Path) -> Store | None:
    """The store in ``data_dir``, or ``None`` when there is none or it is unreadable."""
    path = store_path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return None
    return Store(
        cases=[case_from_json(c) for c in raw.get("cases", [])],
        sources={k: SourceRecord(**v) for k, v in raw.get("sources", {}).items()},
        skipped=list(raw.get("skipped", [])),
        parser_version=raw.get("parser_version", ""),
        options=raw.get("options", ""),
    )


def save_store(store: Store, data_dir: Path) -> Path:
    """Write the store atomically (temp file, fsync, rename) and return its path."""
    path = store_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(store.to_json(), ensure_ascii=False, indent=1)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text).encode("utf-8")
    atomic_write_bytes(path, data)
    return path
