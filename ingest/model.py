"""The data the ingest stage produces: cases, their sections and chunks.

These dataclasses are the contract with the index stage, which reads
``load_store(data_dir).cases`` and embeds ``chunk_text_for_embedding(case, chunk)``.
Chunks hold offsets rather than text so the store cannot disagree with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A titled part of a case; ``start``/``end`` index the section body in ``Case.text``."""

    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage to embed: ``case.text[start:end]``, never crossing a section boundary."""

    id: str
    start: int
    end: int
    section: str | None
    lang: str


@dataclass
class Case:
    """One real-world case, project or method, with its cleaned text.

    Attributes:
        id: stable slug of the title (see :mod:`ingest.ids`).
        title: the case's own title.
        text: cleaned plain text; section and chunk offsets index into it.
        lang: ISO 639-1 code as detected, or ``"unknown"`` when the text is too short.
        source: path of the file the text was taken from.
        collection: folder of the file relative to the ingest root; for a file that holds
            many cases (a list page, a table export), the file stem.
        url: where the case lives on the web, when known.
        sections: titled parts of ``text``.
        fields: metadata found in forms and key/value rows (country_region, timescale, ...).
        also_sources: other files whose (near-duplicate) copy of this case was merged in.
        chunks: the passages to embed.
    """

    id: str
    title: str
    text: str
    lang: str
    source: str
    collection: str
    url: str | None = None
    sections: list[Section] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    also_sources: list[str] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)

    def chunk_text(self, chunk: Chunk) -> str:
        """The passage a chunk stands for."""
        return self.text[chunk.start : chunk.end]


def chunk_text_for_embedding(case: Case, chunk: Chunk) -> str:
    """Text the indexer embeds for a chunk: case title, section title and the passage.

    The titles carry context a short passage lacks (which case, which part of a form), so
    a question about "difficulties" in a project finds the right passage.
    """
    head = [case.title]
    if chunk.section and chunk.section.casefold() != case.title.casefold():
        head.append(chunk.section)
    return "\n".join([*head, case.chunk_text(chunk)])
