"""Pages that list many short cases, each a heading line followed by a paragraph.

Overview pages ("Inspiration til praksis", project catalogues) hold dozens of cases, each
a short heading and one or two paragraphs. They are recognised by shape, not by site:
many heading + body pairs whose bodies are short, mostly a single paragraph.
"""

from __future__ import annotations

import statistics

from casesearch.ingest.blocks import Block, looks_like_heading, word_count
from casesearch.ingest.draft import Draft, Part

MAX_MEDIAN_BODY_WORDS = 120


def _pairs(blocks: list[Block]) -> list[tuple[str, list[Block]]]:
    """Walk the blocks as heading, body, body..., heading, body...

    A heading candidate directly followed by another heading candidate that has a body is
    not a heading: it continues the previous body (a short closing line) or, before the
    first item, it is page intro. One-line bodies may look like headings themselves.
    """
    items: list[tuple[str, list[Block]]] = []
    heads = [looks_like_heading(b) for b in blocks]
    n = len(blocks)
    i = 0
    while i < n:
        if heads[i] and i + 1 < n:
            # A heading owns the next block as its body, unless that block is itself a
            # heading with a body of its own; then this line closes the previous body.
            next_has_body = heads[i + 1] and i + 2 < n and not heads[i + 2]
            if not next_has_body:
                items.append((blocks[i].text, [blocks[i + 1]]))
                i += 2
                continue
        if items and (not heads[i] or i + 1 < n):
            items[-1][1].append(blocks[i])
        i += 1
    return items


def split_list(
    blocks: list[Block], first_menu_at: int | None, min_items: int
) -> list[Draft] | None:
    """Cases of a list page, or ``None`` when the page is not a list of cases.

    Args:
        blocks: the page without chrome.
        first_menu_at: where a removed menu stood; when it is in the first fifth of the
            page, what precedes it is page title and intro, not a case.
        min_items: fewest items for a list.
    """
    if first_menu_at is not None:
        before = sum(len(b.text) for b in blocks[:first_menu_at])
        if before <= 0.2 * sum(len(b.text) for b in blocks):
            blocks = blocks[first_menu_at:]
    items = _pairs(blocks)
    if len(items) < min_items:
        return None
    body_words = [sum(word_count(b.text) for b in body) for _, body in items]
    single = sum(1 for _, body in items if len(body) <= 2)
    bullets = sum(1 for _, body in items for b in body if b.kind == "item")
    if statistics.median(body_words) > MAX_MEDIAN_BODY_WORDS or single < 0.7 * len(items):
        return None
    if bullets > len(items):
        return None
    return [
        Draft(title=heading, parts=[Part(None, "\n".join(b.text for b in body))])
        for heading, body in items
    ]
