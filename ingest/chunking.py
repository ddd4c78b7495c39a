"""Cutting case text into passages for the embedding model.

Passages follow sentences (a passage never ends mid-sentence unless one sentence alone is
too long), stay inside one section so each passage has one section title, and repeat the
last sentence of the previous passage so a thought split across two passages is found
from either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from casesearch.ingest.sentences import sentence_spans


@dataclass(frozen=True)
class Span:
    """A passage as offsets into the case text."""

    start: int
    end: int


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]


def _pieces(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int, int]]:
    """Sentences as ``(start, end, words)``, over-long ones cut every ``max_words`` words."""
    out: list[tuple[int, int, int]] = []
    for s, e in sentence_spans(text, start, end):
        words = _words(text, s, e)
        if len(words) <= max_words:
            out.append((s, e, len(words)))
            continue
        for k in range(0, len(words), max_words):
            group = words[k : k + max_words]
            out.append((group[0][0], group[-1][1], len(group)))
    return out


def chunk_spans(
    text: str,
    start: int,
    end: int,
    *,
    target_words: int = 150,
    max_words: int = 200,
    overlap: int = 1,
) -> list[Span]:
    """Passages of ``text[start:end]`` of about ``target_words`` words.

    A passage is closed once it reaches ``target_words``, or before it would pass
    ``max_words``. The next passage starts with the last ``overlap`` sentences of the
    previous one when they are short enough to leave room for new text.
    """
    pieces = _pieces(text, start, end, max_words)
    spans: list[Span] = []
    i = 0
    while i < len(pieces):
        j, words = i, 0
        while j < len(pieces) and (j == i or words + pieces[j][2] <= max_words):
            words += pieces[j][2]
            j += 1
            if words >= target_words:
                break
        spans.append(Span(pieces[i][0], pieces[j - 1][1]))
        if j >= len(pieces):
            break
        back = min(overlap, j - i - 1)
        if back > 0 and sum(p[2] for p in pieces[j - back : j]) <= target_words // 3:
            i = j - back
        else:
            i = j
    return spans
