"""One file's bytes to its cases, languages and chunk layout: the work done per file.

Everything here depends on the file alone, so it can run in a separate process with a time
and memory budget (see :mod:`ingest.isolation`). What depends on all files together
(merging duplicates, choosing ids) stays in :mod:`ingest.pipeline`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from casesearch.ingest.chunking import chunk_spans
from casesearch.ingest.draft import Part, assemble
from casesearch.ingest.language import UNKNOWN, language_of
from casesearch.ingest.model import Case, Chunk
from casesearch.ingest.options import IngestOptions
from casesearch.ingest.paths import clean_text
from casesearch.ingest.readers import read_cases
from casesearch.ingest.store import case_from_json


@dataclass
class ParsedFile:
    """The cases of one file, without ids.

    Attributes:
        cases: the cases, ``id`` empty; their ``chunks`` hold the layout with empty ids.
        spans: per case, its parts as ``(title, start, end)`` (what the chunker walked).
        noise: how messy the file's text is (see :func:`ingest.dedup.noise_score`).
        note: how the file was read when it took more than one encoding.
    """

    cases: list[Case] = field(default_factory=list)
    spans: list[list[tuple[str | None, int, int]]] = field(default_factory=list)
    noise: float = 0.0
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (to cross a process boundary)."""
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ParsedFile:
        """The inverse of :meth:`to_json`."""
        return cls(
            cases=[case_from_json(c) for c in raw["cases"]],
            spans=[[(t, s, e) for t, s, e in spans] for spans in raw["spans"]],
            noise=raw["noise"],
            note=raw["note"],
        )


def _lang_code(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def chunk_layout(
    case: Case, spans: list[tuple[str | None, int, int]], options: IngestOptions
) -> list[Chunk]:
    """A case's chunks (ids left empty): sentence-aware passages inside each part.

    Each part of a case with several parts gets its own language, inheriting the case's
    when it is too short to tell.
    """
    chunks: list[Chunk] = []
    spans = spans or [(None, 0, len(case.text))]
    for title, start, end in spans:
        lang = case.lang
        if len(spans) > 1:
            lang = language_of(
                case.text[start:end],
                inherit=case.lang if case.lang != UNKNOWN else None,
                min_chars=options.lang_min_chars,
                reliable_chars=options.lang_reliable_chars,
            )
        for span in chunk_spans(
            case.text,
            start,
            end,
            target_words=options.chunk_words,
            max_words=options.max_chunk_words,
            overlap=options.overlap_sentences,
        ):
            chunks.append(Chunk("", span.start, span.end, title, lang))
    return chunks


def parse_file(
    path: Path,
    data: bytes,
    options: IngestOptions,
    *,
    source: str,
    collection: str,
    stem: str,
) -> ParsedFile:
    """The cases in one file's bytes, with languages and chunk layout.

    Args:
        path: the file (its name and suffix decide the format).
        data: its bytes.
        options: how files become cases and chunks.
        source: the file's store key (each case's ``source``).
        collection: the collection of a file that holds one case.
        stem: the file name without suffix, readable (title fallback, list collection).

    Raises:
        ingest.readers.Skip: the file yields no cases; the message says why.
    """
    found = read_cases(path, data, options, stem=stem)
    container: str | None = None
    if found.kind == "list" and len(found.drafts) > 1:
        sample = "\n".join(p.body for d in found.drafts[:200] for p in d.parts)
        container = language_of(sample, min_chars=options.lang_min_chars)
    parsed = ParsedFile(noise=round(found.noise, 4), note=found.note)
    for draft in found.drafts:
        # Lone surrogates (a JSON "\\ud800", a broken PDF font map) cannot be stored.
        parts = [
            Part(clean_text(p.title) if p.title else p.title, clean_text(p.body))
            for p in draft.parts
        ]
        text, sections, spans = assemble(parts)
        lang = _lang_code(draft.lang) or language_of(
            text,
            inherit=container,
            min_chars=options.lang_min_chars,
            reliable_chars=options.lang_reliable_chars,
        )
        case = Case(
            id="",
            title=clean_text(draft.title),
            text=text,
            lang=lang,
            source=source,
            collection=stem if found.kind != "single" else collection,
            url=clean_text(draft.url) if draft.url else None,
            sections=sections,
            fields={clean_text(k): clean_text(v) for k, v in draft.fields.items()},
        )
        case.chunks = chunk_layout(case, spans, options)
        parsed.cases.append(case)
        parsed.spans.append(spans)
    return parsed
