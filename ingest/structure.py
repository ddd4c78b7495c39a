"""One case from a page or document: title, key/value fields and titled sections.

Used for every file that is neither a filled-in form nor a list of cases. The title is the
last short heading-like line before the first paragraph (pages open with site name and
category lines above the case title); later heading lines followed by text open sections.
"""

from __future__ import annotations

import re

from casesearch.ingest.blocks import Block, looks_like_heading, word_count
from casesearch.ingest.draft import Draft, Part
from casesearch.ingest.sentences import sentence_spans

_FIELD_LABEL_WORDS = 4
_FIELD_VALUE_WORDS = 10
_TITLE_MAX_WORDS = 15


def _key(label: str) -> str:
    return re.sub(r"\W+", "_", label.strip().casefold()).strip("_")


def _key_value_run(blocks: list[Block], i: int) -> int:
    """Length of a run of label/value line pairs starting at ``i`` (0 when there is none).

    Case pages put facts as alternating short lines ("Customer", "Frederiksberg
    Municipality", "Focus", "Strategy realization") inside one group.
    """
    j = i
    while j + 1 < len(blocks):
        label, value = blocks[j], blocks[j + 1]
        if label.alone or value.alone or label.kind != "para" or value.kind != "para":
            break
        if (
            word_count(label.text) > _FIELD_LABEL_WORDS
            or word_count(value.text) > _FIELD_VALUE_WORDS
        ):
            break
        if re.search(r"[.;:!?]$", label.text) or not label.text[0].isupper():
            break
        j += 2
    return j - i if j - i >= 4 else 0


def _title_like(block: Block) -> bool:
    """A short line without closing punctuation, as site, category and case titles are."""
    if block.kind == "heading":
        return True
    return looks_like_heading(Block(block.kind, block.text, alone=True))


def _render(block: Block) -> str:
    return f"• {block.text}" if block.kind == "item" else block.text


def single_case(blocks: list[Block], fallback_title: str, title_hint: str | None = None) -> Draft:
    """Build one case from a page's blocks.

    Args:
        blocks: the page without chrome.
        fallback_title: used when no title line is found (usually the file name).
        title_hint: a title given by the format (an HTML ``<h1>`` or ``<title>``).
    """
    i = 0
    title = title_hint
    if title_hint:
        # Skip everything up to the title itself when it appears among the blocks.
        for k, block in enumerate(blocks[:10]):
            if block.text == title_hint:
                i = k + 1
                break
    else:
        lead = 0
        while lead < min(len(blocks), 8) and _title_like(blocks[lead]):
            lead += 1
        if lead:
            title = blocks[lead - 1].text
            i = lead
    if not title:
        first = blocks[0].text if blocks else ""
        title = first if first and word_count(first) <= _TITLE_MAX_WORDS else fallback_title
        i = 1 if first and title == first else 0
    fields: dict[str, str] = {}
    parts: list[Part] = [Part(None, "")]
    lines: list[str] = []

    def close() -> None:
        parts[-1].body = "\n".join(lines)
        lines.clear()

    while i < len(blocks):
        block = blocks[i]
        run = _key_value_run(blocks, i)
        if run:
            for k in range(i, i + run, 2):
                label, value = blocks[k].text, blocks[k + 1].text
                fields.setdefault(_key(label), value)
                lines.append(f"{label}: {value}")
            i += run
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if looks_like_heading(block) and nxt is not None and not looks_like_heading(nxt):
            close()
            parts.append(Part(block.text, ""))
        else:
            lines.append(_render(block))
        i += 1
    close()
    return Draft(title=title, parts=[p for p in parts if p.body.strip()], fields=fields)


def _short_title(line: str) -> str | None:
    """The line when it is short enough for a title, else its first sentence if that is."""
    if word_count(line) <= _TITLE_MAX_WORDS:
        return line
    spans = sentence_spans(line)
    if spans:
        first = line[spans[0][0] : spans[0][1]]
        if word_count(first) <= _TITLE_MAX_WORDS:
            return first
    return None


def short_note(blocks: list[Block], fallback_title: str, title_hint: str | None = None) -> Draft:
    """A file too short for a title and a body (a one-line note): all its lines are the text.

    A note is still a case. Its title is the one the format gives, else its first line, or
    the first sentence of a long first line, else ``fallback_title``.

    Args:
        blocks: the note's blocks (at least one).
        fallback_title: used when the first line is long and has no short first sentence.
        title_hint: a title given by the format (an HTML ``<h1>`` or ``<title>``).
    """
    text = "\n".join(_render(b) for b in blocks)
    title = title_hint or _short_title(blocks[0].text) or fallback_title
    return Draft(title=title, parts=[Part(None, text)])
