"""Settings of an ingest run, with defaults that suit the default corpus.

Everything that changes what a file turns into lives here, so that a changed setting can be
detected (see :func:`IngestOptions.fingerprint`) and unchanged files re-read rather than
reused from an older store. The per-file budgets decide only whether a file is read at all;
changing them re-reads just the files that were over them (see
:func:`IngestOptions.budget_key`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

#: Candidate column names for tabular exports, in order of preference.
DEFAULT_COLUMNS: dict[str, list[str]] = {
    "title": ["title", "name", "titel", "overskrift", "heading", "case_title"],
    "text": ["text", "body", "content", "description", "tekst", "beskrivelse", "abstract"],
    "url": ["url", "link", "href", "source_url", "permalink"],
    "lang": ["lang", "language", "sprog", "locale"],
    "id": ["id", "case_id", "participedia_id", "uid", "nid"],
}


@dataclass
class IngestOptions:
    """How files become cases and chunks.

    Attributes:
        chunk_words: target words per chunk; e5-small reads 512 tokens, ~150 words leaves
            room for the title and section prefix.
        max_chunk_words: a chunk is closed before it would grow past this.
        overlap_sentences: sentences repeated at the start of the next chunk.
        max_file_bytes: larger files are skipped (they are rarely case texts and slow).
        columns: candidate column names per role for .csv/.jsonl/.json exports.
        split_lists: split pages that list many short cases (heading + paragraph) into cases.
        min_list_items: fewest heading + paragraph pairs for a page to count as a list.
        near_duplicate_threshold: Jaccard similarity of word shingles at which two cases
            are the same case.
        lang_min_chars: shorter texts get language ``"unknown"`` (or their container's).
        lang_reliable_chars: texts at least this long overrule their container's language.
        file_seconds: wall-clock seconds one file may take to read, plus
            ``file_seconds_per_mb`` for each MB of the file (``None``: no time limit).
        file_seconds_per_mb: the part of the time budget that grows with the file: big
            exports of many cases are legitimately slow (language detection per case).
        file_memory_mb: memory one file may take, on top of what the reading process
            needs itself (``None``: no limit). Files are read in a separate process when
            either budget is set; with both ``None`` they are read in this process.
        max_unpacked_mb: a compressed file (.docx, PDF streams) may unpack to this much.
    """

    chunk_words: int = 150
    max_chunk_words: int = 200
    overlap_sentences: int = 1
    max_file_bytes: int = 20_000_000
    columns: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_COLUMNS.items()}
    )
    split_lists: bool = True
    min_list_items: int = 8
    near_duplicate_threshold: float = 0.6
    lang_min_chars: int = 40
    lang_reliable_chars: int = 400
    file_seconds: float | None = 60.0
    file_seconds_per_mb: float = 60.0
    file_memory_mb: int | None = 2048
    max_unpacked_mb: int = 200

    def with_columns(self, overrides: dict[str, str]) -> IngestOptions:
        """Copy whose column candidates start with the given names (``{"title": "name"}``)."""
        columns = {k: list(v) for k, v in self.columns.items()}
        for role, name in overrides.items():
            columns[role] = [name, *[c for c in columns.get(role, []) if c != name]]
        copy = IngestOptions(**{**asdict(self), "columns": columns})
        return copy

    def fingerprint(self) -> str:
        """Hash of the settings; a store built with other settings is not reused.

        The budgets are left out: they do not change what a file turns into.
        """
        settings = {k: v for k, v in asdict(self).items() if k not in _BUDGETS}
        blob = json.dumps(settings, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def budget_key(self) -> str:
        """The budgets as a string; a file skipped over budget is tried again when it changes."""
        return ", ".join(f"{name}={getattr(self, name)}" for name in _BUDGETS)

    def seconds_for(self, size: int) -> float | None:
        """The time budget of a file of ``size`` bytes (``None``: no limit)."""
        if self.file_seconds is None:
            return None
        return self.file_seconds + self.file_seconds_per_mb * size / 1_000_000

    @property
    def isolated(self) -> bool:
        """Whether files are read in a separate process (some budget needs one)."""
        return self.file_seconds is not None or self.file_memory_mb is not None


_BUDGETS = ("file_seconds", "file_seconds_per_mb", "file_memory_mb", "max_unpacked_mb")
