"""One file's bytes to its cases, languages and passages: the work done per file.

Everything here depends on the file alone, so it can run in a separate process with a time
and memory budget (see :mod:`ingest.isolation`). What depends on all files together
(merging duplicates, choosing ids) stays in :mod:`ingest.pipeline`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
        cases: the cases, ``id`` empty and no chunks yet.
        spans: per case, its parts as ``(title, start, end)`` (what the chunker walks).
        passages: per case, its chunks as ``(start, end, part)``; ``part`` indexes
            ``spans``. The parts' languages are left to the caller, who detects them only
            for the cases it keeps (a near-duplicate merged into another case needs none).
        noise: how messy the file's text is (see :func:`ingest.dedup.noise_score`).
        note: how the file was read when it took more than one encoding.
    """

    cases: list[Case] = field(default_factory=list)
    spans: list[list[tuple[str | None, int, int]]] = field(default_factory=list)
    passages: list[list[tuple[int, int, int]]] = field(default_factory=list)
    noise: float = 0.0
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (to cross a process boundary)."""
        return {
            "cases": [_case_json(c) for c in self.cases],
            "spans": self.spans,
            "passages": self.passages,
            "noise": self.noise,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ParsedFile:
        """The inverse of :meth:`to_json`."""
        return cls(
            cases=[case_from_json(c) for c in raw["cases"]],
            spans=[[(t, s, e) for t, s, e in spans] for spans in raw["spans"]],
            passages=[[(s, e, i) for s, e, i in chunks] for chunks in raw["passages"]],
            noise=raw["noise"],
            note=raw["note"],
        )


def _case_json(case: Case) -> dict[str, Any]:
    """``dataclasses.asdict`` of a case without chunks, written out (several times faster)."""
    return {
        "id": case.id,
        "title": case.title,
        "text": case.text,
        "lang": case.lang,
        "source": case.source,
        "collection": case.collection,
        "url": case.url,
        "sections": [{"title": s.title, "start": s.start, "end": s.end} for s in case.sections],
        "fields": dict(case.fields),
        "also_sources": list(case.also_sources),
        "chunks": [],
    }


def _lang_code(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def passages(
    text: str, spans: list[tuple[str | None, int, int]], options: IngestOptions
) -> list[tuple[int, int, int]]:
    """A case's chunks as ``(start, end, part)``: sentence-aware passages inside each part."""
    out: list[tuple[int, int, int]] = []
    for part, (_, start, end) in enumerate(spans):
        for span in chunk_spans(
            text,
            start,
            end,
            target_words=options.chunk_words,
            max_words=options.max_chunk_words,
            overlap=options.overlap_sentences,
        ):
            out.append((span.start, span.end, part))
    return out


def part_languages(
    case: Case, spans: list[tuple[str | None, int, int]], options: IngestOptions
) -> list[str]:
    """The language of each part: the case's, or, when it has several, each part's own
    (inheriting the case's when too short to tell)."""
    if len(spans) <= 1:
        return [case.lang] * len(spans)
    return [
        language_of(
            case.text[start:end],
            inherit=case.lang if case.lang != UNKNOWN else None,
            min_chars=options.lang_min_chars,
            reliable_chars=options.lang_reliable_chars,
        )
        for _, start, end in spans
    ]


def chunk_layout(
    case: Case,
    spans: list[tuple[str | None, int, int]],
    options: IngestOptions,
    found: list[tuple[int, int, int]] | None = None,
) -> list[Chunk]:
    """A case's chunks, ids left empty: its passages (``found``, or found now) with the
    title and language of their part."""
    spans = spans or [(None, 0, len(case.text))]
    if found is None:
        found = passages(case.text, spans, options)
    langs = part_languages(case, spans, options)
    return [Chunk("", start, end, spans[part][0], langs[part]) for start, end, part in found]


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
        parsed.cases.append(case)
        parsed.spans.append(spans)
        parsed.passages.append(passages(text, spans, options))
    return parsed
