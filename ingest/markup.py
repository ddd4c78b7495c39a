"""Markup to plain text: whole HTML pages, and tags inside text exports.

Scripts, styles and other non-content elements are removed with their content, and all
other tags are reduced to their text. Each step walks the parsed tree once with an explicit
stack, so the time is linear in the input and no nesting depth is too deep: removing or
unwrapping elements one by one through the tree library searches each element's subtree
again, which made deeply nested input quadratic (100,000 nested ``<div>``, 1 MB, took over
ten minutes).

A text export is treated as markup only when it plainly holds some (a closing tag of an HTML
element, a ``<br>``, a tag with attributes, a doctype), so prose that mentions ``<script>``
or says ``a < b`` stays as written. Inside markup, too, an opening ``<script>`` (or
``<style>``, ``<form>``, ...) without its closing tag is prose, not an element that would
swallow the rest of the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bs4 import BeautifulSoup, CData, Comment, NavigableString, PageElement, Tag

from casesearch.ingest.blocks import Block, normalize_spaces

_ELEMENTS = (
    r"(?:p|br|ul|ol|li|div|span|a|b|i|em|strong|h[1-6]|table|tr|td|th|script|style|img|"
    r"section|article|header|footer|nav|body|html|head|title|meta|link|iframe|font|sup|sub)"
)
_CLOSING_TAG = re.compile(rf"</{_ELEMENTS}\s*>", re.IGNORECASE)
_TAG_WITH_ATTRIBUTES = re.compile(rf"<{_ELEMENTS}\s+[\w:-]+\s*=", re.IGNORECASE)
_DOCUMENT_TAG = re.compile(r"<!doctype\s+html|<(?:html|body)[\s>]|<br\s*/?>", re.IGNORECASE)
_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "form")
_DROP_TAG = re.compile(rf"<(/?)({'|'.join(_DROP)})\b[^<>]*>", re.IGNORECASE)
# The HTML parser reads these as raw text up to their end tag (tags inside would survive).
_RAW_TEXT_TAG = re.compile(
    r"<(/?)(?:title|textarea|xmp|plaintext|noembed|noframes)\b", re.IGNORECASE
)
_CHROME = ("nav", "header", "footer", "aside")
_CHROME_HINT = re.compile(
    r"(^|[-_ ])(nav|navbar|menu|breadcrumbs?|cookie|consent|share|social|footer|header|"
    r"sidebar|skip|newsletter|related)([-_ ]|$)",
    re.IGNORECASE,
)
_BLOCK_TAGS = {"p", "div", "li", "tr", "br", "ul", "ol", "table", "section", "article", "dd", "dt"}
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_PARAGRAPHS = ("p", "dd", "dt", "blockquote", "pre", "figcaption")
_CONTAINERS = _BLOCK_TAGS | {"main", "article", "section", "body", "figure"}
_INLINE_DASHES = re.compile(r"\s+[-–]\s+(?=\S)")
# ``[^<>]`` rather than ``[^>]``: a run of "<ul" without ">" must not be rescanned per match.
_INLINE_LIST = re.compile(
    r"<[uo]l\b[^<>]*>(?![ \t]*(?:\n|<li))([^\n<]*)(?:</[uo]l>)?", re.IGNORECASE
)

_WHITESPACE_RUN = re.compile(r"\s+")
_LEADING_SPACE = re.compile(r"[ \t\n\r\f]*")
_BREAKS = re.compile(r"\n+")

_ENTER, _LEAVE, _TEXT = 0, 1, 2


def looks_like_markup(text: str) -> bool:
    """True when a text export holds markup for certain, not just a ``<`` in prose."""
    return any(
        pattern.search(text) for pattern in (_CLOSING_TAG, _DOCUMENT_TAG, _TAG_WITH_ATTRIBUTES)
    )


def _events(root: Tag, skip: Callable[[Tag], bool]) -> Iterator[tuple[int, PageElement]]:
    """``(event, node)`` in document order below ``root``; skipped tags lose their subtree.

    Tags give ``_ENTER`` and ``_LEAVE``, strings ``_TEXT``. An explicit stack instead of
    recursion, so any depth works.
    """
    tags: list[Tag] = [root]
    pending: list[Iterator[PageElement]] = [iter(root.contents)]
    while pending:
        child = next(pending[-1], None)
        if child is None:
            pending.pop()
            tag = tags.pop()
            if pending:
                yield _LEAVE, tag
            continue
        if isinstance(child, Tag):
            if skip(child):
                continue
            yield _ENTER, child
            tags.append(child)
            pending.append(iter(child.contents))
        else:
            yield _TEXT, child


def _string_kinds(tag: Tag) -> set[type[NavigableString]]:
    """The kinds of string ``tag.get_text()`` takes (plain text, not comments or scripts)."""
    kinds = tag.interesting_string_types
    return set(kinds) if kinds is not None else {NavigableString, CData}


def _text(tag: Tag, skip: Callable[[Tag], bool]) -> str:
    """``tag.get_text(" ")`` without the skipped subtrees."""
    kinds = _string_kinds(tag)
    return " ".join(
        str(node) for event, node in _events(tag, skip) if event == _TEXT and type(node) in kinds
    )


def _escape_unclosed(text: str) -> str:
    """Write out opening script/style/form/... tags that are never closed as text.

    The HTML parser would take everything after such a tag as its content and drop it with
    the element; a tag that is never closed is part of the prose instead. A closing tag
    closes the latest open tag of its name.
    """
    open_at: dict[str, list[int]] = {}
    for match in _DROP_TAG.finditer(text):
        if match[0].endswith("/>"):
            continue
        stack = open_at.setdefault(match[2].lower(), [])
        if not match[1]:
            stack.append(match.start())
        elif stack:
            stack.pop()
    unclosed = sorted(pos for stack in open_at.values() for pos in stack)
    if not unclosed:
        return text
    pieces: list[str] = []
    last = 0
    for pos in unclosed:
        pieces += [text[last:pos], "&lt;"]
        last = pos + 1
    pieces.append(text[last:])
    return "".join(pieces)


def strip_markup(text: str) -> str:
    """Remove the tags from a text export, keeping its lines and tab-separated rows.

    Block tags become line breaks; a ``<ul>`` without ``<li>`` items whose items are
    written inline as `` - item - item`` is split into one line per item.
    """
    # Exports write lists as `<ul> - item - item` without closing tags; an HTML parser
    # would nest the rest of the document inside that list, so split them here.
    text = _INLINE_LIST.sub(lambda m: "\n" + _INLINE_DASHES.sub("\n- ", " " + m[1]).strip(), text)
    text = _RAW_TEXT_TAG.sub(r"<\1span", _escape_unclosed(text))
    soup = BeautifulSoup(text, "lxml")
    kinds = _string_kinds(soup)
    # The parser drops the white space a document opens with; the line structure keeps it.
    pieces: list[str] = [_LEADING_SPACE.match(text)[0]]  # type: ignore[index]
    for event, node in _events(soup, lambda tag: tag.name in _DROP):
        if event == _TEXT:
            if type(node) in kinds:
                pieces.append(str(node))
        elif isinstance(node, Tag) and node.name in _BLOCK_TAGS:
            pieces.append("\n")
    lines = [ln.strip(" ") for ln in "".join(pieces).split("\n")]
    out = _WHITESPACE_RUN.sub(_join_label_and_value, "\n".join(lines))
    return re.sub(r"\n{3,}", "\n\n", out)


def _join_label_and_value(run: re.Match[str]) -> str:
    """A block tag next to a tab leaves "\\n\\t" or "\\t\\n": keep label/value on one line.

    Works on one run of whitespace at a time with string searches: a regular expression
    that backtracks over a long run of line breaks (deeply nested blocks leave one per
    tag) would take quadratic time.
    """
    text = run[0]
    last_break, first_tab = text.rfind("\n"), text.find("\t")
    if 0 <= first_tab < last_break:  # a tab, then line breaks: the breaks go
        text = text[:first_tab] + "\t" + text[last_break + 1 :]
    if "\t" not in text:
        return text
    return _BREAKS.sub(lambda m: "" if text.startswith("\t", m.end()) else m[0], text)


def _is_chrome(el: Tag) -> bool:
    if el.name in _CHROME:
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "search"):
        return True
    hints = " ".join([*(el.get("class") or []), str(el.get("id") or "")])
    return bool(hints and _CHROME_HINT.search(hints))


def _not_content(el: Tag) -> bool:
    """Scripts and the like, the head, and site chrome (menus, headers, footers)."""
    return el.name in _DROP or el.name == "head" or _is_chrome(el)


def html_to_blocks(html: str) -> tuple[list[Block], str | None, str | None]:
    """Parse a page into blocks, its title and its canonical URL.

    Returns:
        ``(blocks, title, url)``: headings keep their level so they become sections,
        list items become item blocks, table rows become ``cell: cell`` paragraphs.
    """
    soup = BeautifulSoup(html, "lxml")
    url = None
    for sel, attr in (('link[rel~="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        el = soup.select_one(sel)
        if el and el.get(attr):
            url = str(el.get(attr)).strip()
            break
    page_title = normalize_spaces(soup.title.get_text(" ")) if soup.title else None
    first: dict[str, Tag] = {}
    for event, node in _events(soup, _not_content):
        if event == _ENTER and isinstance(node, Tag) and node.name in ("main", "article", "body"):
            first.setdefault(node.name, node)
    root = first.get("main") or first.get("article") or first.get("body") or soup
    blocks = [b for b in _page_blocks(root) if b.text]
    h1 = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return blocks, h1 or page_title or None, url


class _BlockList:
    """Blocks in the making; inline text continues the open paragraph.

    A paragraph's pieces are joined once it is closed, so a paragraph of many inline
    pieces costs linear time.
    """

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._open: list[str] | None = None

    def add(self, block: Block) -> None:
        self._close()
        self.blocks.append(block)
        self._open = [block.text] if block.kind == "para" and block.text else None

    def inline(self, text: str) -> None:
        """Inline text continues the open paragraph; an empty block marks a closed one."""
        if self._open is not None:
            self._open.append(text)
            return
        if self.blocks and self.blocks[-1].kind == "para" and not self.blocks[-1].text:
            self.blocks[-1] = Block("para", text)
        else:
            self.blocks.append(Block("para", text))
        self._open = [text]

    def _close(self) -> None:
        if self._open is not None and len(self._open) > 1:
            self.blocks[-1].text = " ".join(self._open)
        self._open = None

    def done(self) -> list[Block]:
        self._close()
        return self.blocks


def _row_cells(row: Tag) -> list[Tag]:
    """The row's own cells; a table nested in a cell is part of that cell's text."""
    cells: list[Tag] = []

    def skip(tag: Tag) -> bool:
        if _not_content(tag):
            return True
        if tag.name in ("td", "th"):
            cells.append(tag)
            return True  # read whole by the caller, not searched for more cells
        return False

    for _ in _events(row, skip):
        pass
    return cells


def _page_blocks(root: Tag) -> list[Block]:
    """Blocks of the page below ``root``: headings, items, rows and paragraphs."""
    out = _BlockList()
    pending: list[Iterator[PageElement]] = [iter(root.contents)]
    while pending:
        child = next(pending[-1], None)
        if child is None:
            pending.pop()
            if pending:  # a container ended: it closes the open paragraph
                out.add(Block("para", ""))
            continue
        if not isinstance(child, Tag):
            text = normalize_spaces(str(child)) if not isinstance(child, Comment) else ""
            if text:
                out.inline(text)
            continue
        if _not_content(child):
            continue
        name = child.name
        if name in _HEADINGS:
            text = normalize_spaces(_text(child, _not_content))
            if text:
                out.add(Block("heading", text, level=int(name[1])))
        elif name == "li":
            text = normalize_spaces(_text(child, _not_content))
            if text:
                out.add(Block("item", text))
        elif name == "tr":
            cells = [normalize_spaces(_text(c, _not_content)) for c in _row_cells(child)]
            cells = [c for c in cells if c]
            if cells:
                out.add(Block("para", ": ".join(cells) if len(cells) == 2 else " | ".join(cells)))
        elif name in _PARAGRAPHS:
            text = normalize_spaces(_text(child, _not_content))
            if text:
                out.add(Block("para", text))
        elif name == "br":
            out.add(Block("para", ""))
        elif name in _CONTAINERS:
            pending.append(iter(child.contents))
        else:
            text = normalize_spaces(_text(child, _not_content))
            if text:
                out.inline(text)
    return out.done()
