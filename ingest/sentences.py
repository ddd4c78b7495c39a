"""Sentence boundaries for Danish and English case text.

A full stop ends a sentence unless it belongs to a known abbreviation ("fx.", "bl.a.",
"f.eks.", "e.g.", "approx.") or an initial; line breaks always end one, because case
texts put list items and paragraphs on their own lines.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    [
        "fx",
        "f.eks",
        "bl.a",
        "m.fl",
        "m.m",
        "mv",
        "m.v",
        "osv",
        "dvs",
        "jf",
        "jvf",
        "ca",
        "evt",
        "ift",
        "pga",
        "vedr",
        "iflg",
        "inkl",
        "ekskl",
        "mht",
        "nr",
        "kr",
        "mio",
        "mia",
        "stk",
        "tlf",
        "hhv",
        "s",
        "sml",
        "ang",
        "kl",
        "dr",
        "e.g",
        "i.e",
        "etc",
        "approx",
        "vs",
        "cf",
        "no",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "jr",
        "sr",
        "fig",
        "eq",
        "al",
        "incl",
        "ibid",
        "vol",
        "pp",
        "ed",
        "eds",
        "dept",
        "univ",
        "co",
        "corp",
        "ltd",
        "inc",
    ]
)
_END = re.compile(r"[.!?…]+['\"”’)\]]*(?=\s+)")
_NEXT_START = re.compile(r"\s+(?=[\"“‘'(\[]?[A-ZÆØÅ0-9•\-–])")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` closes an abbreviation or an initial."""
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "(\"'“‘":
        start -= 1
    word = text[start:dot].lower()
    if not word:
        return False
    if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return True
    return bool(re.fullmatch(r"(?:[a-zæøå]\.)+[a-zæøå]", word))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the sentences in ``text[start:end]``, spaces trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        line_text = line.group()
        cut = 0
        for match in _END.finditer(line_text):
            stop = match.end()
            if not _NEXT_START.match(line_text, stop):
                continue
            if line_text[match.start()] == "." and _is_abbreviation(line_text, match.start()):
                continue
            spans.append((line_start + cut, line_start + stop))
            cut = stop
        spans.append((line_start + cut, line_start + len(line_text)))
    trimmed: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed
