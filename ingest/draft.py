"""A case before it has an id: what the readers and splitters hand to the pipeline.

Drafts hold the case as titled parts; :func:`assemble` lays them out as one text with
section offsets, which is the shape the store keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from casesearch.ingest.model import Section


@dataclass
class Part:
    """A stretch of case text, under a section title or (``None``) before any section."""

    title: str | None
    body: str


@dataclass
class Draft:
    """A case found in a file.

    Attributes:
        title: the case title.
        parts: its text, in order.
        url: where it lives on the web, if known.
        fields: metadata (form fields, key/value rows, date).
        lang: a language given by the source (a ``lang`` column), trusted over detection.
        source_key: an id given by the source (a tabular ``id`` column).
    """

    title: str
    parts: list[Part]
    url: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    lang: str | None = None
    source_key: str | None = None

    def has_text(self) -> bool:
        """Whether there is any body text at all."""
        return any(p.body.strip() for p in self.parts)


def assemble(parts: list[Part]) -> tuple[str, list[Section], list[tuple[str | None, int, int]]]:
    """Lay parts out as one text.

    Section titles are written on their own line above the body so the text reads well,
    but section offsets cover only the body.

    Returns:
        ``(text, sections, spans)`` where ``spans`` lists every part body (titled or not) as
        ``(title, start, end)``, which is what the chunker walks.
    """
    text = ""
    sections: list[Section] = []
    spans: list[tuple[str | None, int, int]] = []
    for part in parts:
        body = part.body.strip()
        if not body:
            continue
        if text:
            text += "\n\n"
        if part.title:
            text += part.title + "\n"
        start = len(text)
        text += body
        spans.append((part.title, start, len(text)))
        if part.title:
            sections.append(Section(part.title, start, len(text)))
    return text, sections, spans
