"""Site chrome that is not case content: navigation, calls to action, teasers, dates.

Web pages saved as text keep their chrome as ordinary lines. Three kinds are removed:
single lines that are navigation or calls to action ("Skip to content", "Back To Top",
"Poster download: ..."), menus (runs of one- to three-word list items), and the tail of a
page from the first "see more cases" / "contact us" style line on, because what follows is
teasers for other cases.
"""

from __future__ import annotations

import re

from casesearch.ingest.blocks import Block, word_count

_NAV_LINE = re.compile(
    r"^(skip to (main )?content|skip navigation|back to top|to top|til toppen|tilbage til toppen|"
    r"gå til (hoved)?indhold|spring til (hoved)?indhold|menu|search|søg|print|udskriv|share|"
    r"del( siden)?|share this( page)?|read more|læs mere|se mere|learn more|previous|next|"
    r"forrige|næste|home|forside|accept( all)? cookies|cookie ?settings)\W*$",
    re.IGNORECASE,
)
_DOWNLOAD = re.compile(r"\b(download|hent|downloade)\b", re.IGNORECASE)
_TAIL = re.compile(
    r"^((see|view|explore|discover) (more|all|other) (cases|projects|stories|articles|work)|"
    r"(related|more|other|similar) (cases|projects|stories|articles|posts)|"
    r"(se|læs) (flere|andre|også) ?(cases|artikler|projekter)?|relaterede \w+|"
    r"you (may|might) also like|shall we have a chat|let'?s have a chat|"
    r"contact (our|us|an?) ?\w*|get in touch|kontakt (os|en konsulent|vores \w+))\W*$",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"^(\d{1,2}\.? [A-Za-zæøåÆØÅ]+\.? \d{4}|[A-Za-z]+ \d{1,2},? \d{4}|\d{4}-\d{2}-\d{2}|"
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$"
)
_MENU_ITEM_WORDS = 3
_MENU_MIN_ITEMS = 3


def is_nav_line(text: str) -> bool:
    """A line that is page furniture rather than content."""
    if _NAV_LINE.match(text):
        return True
    return bool(_DOWNLOAD.search(text)) and word_count(text) <= 12 and not text.endswith(".")


def is_date_line(text: str) -> bool:
    """A line that is only a date (a publication date, kept as a field)."""
    return bool(_DATE.match(text.strip()))


def menu_spans(blocks: list[Block]) -> list[tuple[int, int]]:
    """Index ranges ``[start, end)`` of navigation menus: runs of very short list items."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(blocks):
        j = i
        while (
            j < len(blocks)
            and blocks[j].kind == "item"
            and word_count(blocks[j].text) <= _MENU_ITEM_WORDS
            and not re.search(r"[.,;:!?]$", blocks[j].text)
        ):
            j += 1
        if j - i >= _MENU_MIN_ITEMS:
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def remove_chrome(blocks: list[Block]) -> tuple[list[Block], dict[str, str], int | None]:
    """Drop navigation lines, menus and teaser tails.

    Returns:
        ``(blocks, fields, first_menu_at)``: the remaining blocks, fields found on the
        way (a publication ``date``), and where the first menu stood in the returned list
        (list pages put a category menu between the page intro and the items).
    """
    total_chars = sum(len(b.text) for b in blocks) or 1
    kept: list[Block] = []
    seen_chars = 0
    for block in blocks:
        short = word_count(block.text) <= 8
        if short and _TAIL.match(block.text) and seen_chars >= 0.3 * total_chars:
            break
        seen_chars += len(block.text)
        kept.append(block)
    fields: dict[str, str] = {}
    out: list[Block] = []
    menus = menu_spans(kept)
    first_menu_at: int | None = None
    in_menu = {i for start, end in menus for i in range(start, end)}
    for i, block in enumerate(kept):
        if i in in_menu:
            if first_menu_at is None:
                first_menu_at = len(out)
            continue
        if is_nav_line(block.text):
            continue
        if is_date_line(block.text) and word_count(block.text) <= 4:
            fields.setdefault("date", block.text.strip())
            continue
        out.append(block)
    return out, fields, first_menu_at
