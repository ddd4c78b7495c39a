"""Plain text as a sequence of blocks: headings, paragraphs and list items.

Every reader ends up here (HTML and DOCX produce blocks directly, text files and PDFs are
parsed from their lines), so the case-finding steps see one shape of input whatever the
format. Text from PDFs is hard-wrapped at the page width; such lines are joined back into
paragraphs before anything else looks at them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_BULLET = re.compile(r"^\s*(?:[•·▪◦●‣∙*]|-(?=\s)|–(?=\s)|\d{1,2}[.)](?=\s))\s*")
_SENTENCE_END = re.compile(r"[.!?:;…]['\"”’)]*\s*$")
_CONTINUES = re.compile(r"[,\-–(/&]\s*$")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")
_URL = re.compile(r"^(?:https?://|www\.)\S+$")

HEADING_MAX_WORDS = 18
HEADING_MAX_CHARS = 140


@dataclass
class Block:
    """A unit of text.

    Attributes:
        kind: ``"heading"`` (marked as such by the format), ``"para"`` or ``"item"``.
        text: the block's text on one line.
        level: heading level (1-6) for headings, else 0.
        alone: the block stood alone between blank lines (a heading candidate in plain text).
    """

    kind: str
    text: str
    level: int = 0
    alone: bool = True


def normalize_spaces(text: str) -> str:
    """Remove invisible characters and collapse runs of spaces within a line."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def word_count(text: str) -> int:
    """Words as the chunker counts them: whitespace-separated tokens."""
    return len(text.split())


def is_hard_wrapped(text: str) -> bool:
    """True when lines are broken at a page width rather than at paragraph ends.

    The sign is many line breaks inside sentences: a line without closing punctuation
    followed by one that starts in lower case.
    """
    lines = [ln.strip() for ln in text.split("\n")]
    pairs = inside = 0
    for prev, nxt in itertools.pairwise(lines):
        if not prev or not nxt:
            continue
        pairs += 1
        if not _SENTENCE_END.search(prev) and _first_letter_is_lower(nxt):
            inside += 1
    return inside >= 5 and inside / max(pairs, 1) >= 0.2


def _first_letter_is_lower(line: str) -> bool:
    for ch in line:
        if ch.isalpha():
            return ch.islower()
        if ch.isdigit():
            return False
    return False


def unwrap_lines(lines: list[str]) -> list[str]:
    """Join page-width line breaks back into paragraphs, ignoring blank lines in between.

    A line is continued when the next one starts in lower case, when it ends with a comma,
    hyphen or opening bracket, or when it is nearly as wide as the page and has no closing
    punctuation; bullets and URLs always start a new line.
    """
    cleaned = [normalize_spaces(raw) for raw in lines]
    widths = sorted(len(ln) for ln in cleaned if ln)
    page_width = widths[int(len(widths) * 0.9)] if widths else 0
    out: list[str] = []
    last_width = 0
    for line in cleaned:
        if not line:
            continue
        if out and not _BULLET.match(line) and not _URL.match(line):
            prev = out[-1]
            ends = _SENTENCE_END.search(prev) is not None
            wide = last_width >= 0.7 * page_width and not ends
            digit = line[0].isdigit() and not ends
            joins = _first_letter_is_lower(line) or digit or wide or _CONTINUES.search(prev)
            if joins and not _URL.match(prev.split()[-1]):
                out[-1] = prev + line if prev.endswith(("-", "/")) else f"{prev} {line}"
                last_width = len(line)
                continue
        out.append(line)
        last_width = len(line)
    return out


def _line_block(line: str, alone: bool) -> Block:
    bullet = _BULLET.match(line)
    if bullet and line[bullet.end() :].strip():
        return Block("item", line[bullet.end() :].strip(), alone=alone)
    return Block("para", line, alone=alone)


def text_to_blocks(text: str) -> list[Block]:
    """Split plain text into blocks; lines separated by blank lines form groups.

    Each line is its own block (exports put one paragraph per line), and ``alone`` records
    whether it was the only line of its group, which is what makes a short line a heading
    candidate.
    """
    if is_hard_wrapped(text):
        return [_line_block(line, alone=True) for line in unwrap_lines(text.split("\n"))]
    blocks: list[Block] = []
    for group in re.split(r"\n[ \t\u00a0]*\n", text):
        lines = [normalize_spaces(ln) for ln in group.split("\n")]
        lines = [ln for ln in lines if ln]
        blocks.extend(_line_block(ln, alone=len(lines) == 1) for ln in lines)
    return blocks


def looks_like_heading(block: Block) -> bool:
    """A marked heading, or a short stand-alone line without closing punctuation."""
    if block.kind == "heading":
        return True
    if block.kind != "para" or not block.alone:
        return False
    text = block.text
    if len(text) > HEADING_MAX_CHARS or word_count(text) > HEADING_MAX_WORDS:
        return False
    if _URL.match(text) or text[0].islower():
        return False
    return not re.search(r"[.,;:]['\"”’)]*$", text) or text.endswith("...")
