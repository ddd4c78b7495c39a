"""Markup to plain text: whole HTML pages, and stray tags inside text exports.

Markup never reaches the store: scripts and styles are removed with their content and all
other tags are reduced to their text, so a ``<script>`` in a case can at most survive as
the words inside it, never as markup.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Tag

from casesearch.ingest.blocks import Block, normalize_spaces

_TAG = re.compile(
    r"</?(?:p|br|ul|ol|li|div|span|a|b|i|em|strong|h[1-6]|table|tr|td|th|script|style|img|"
    r"section|article|header|footer|nav|body|html|head|title|meta|link|iframe|font|sup|sub)"
    r"\b[^>]*>",
    re.IGNORECASE,
)
_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "form")
_CHROME = ("nav", "header", "footer", "aside")
_CHROME_HINT = re.compile(
    r"(^|[-_ ])(nav|navbar|menu|breadcrumbs?|cookie|consent|share|social|footer|header|"
    r"sidebar|skip|newsletter|related)([-_ ]|$)",
    re.IGNORECASE,
)
_BLOCK_TAGS = {"p", "div", "li", "tr", "br", "ul", "ol", "table", "section", "article", "dd", "dt"}
_INLINE_DASHES = re.compile(r"\s+[-–]\s+(?=\S)")
_INLINE_LIST = re.compile(
    r"<[uo]l\b[^>]*>(?![ \t]*(?:\n|<li))([^\n<]*)(?:</[uo]l>)?", re.IGNORECASE
)


def has_markup(text: str) -> bool:
    """True when text (not an HTML page) carries tags that must not reach the store."""
    return _TAG.search(text) is not None


def strip_markup(text: str) -> str:
    """Remove stray tags from a text export, keeping its lines and tab-separated rows.

    Block tags become line breaks; a ``<ul>`` without ``<li>`` items whose items are
    written inline as `` - item - item`` is split into one line per item.
    """
    # Exports write lists as `<ul> - item - item` without closing tags; an HTML parser
    # would nest the rest of the document inside that list, so split them here.
    text = _INLINE_LIST.sub(lambda m: "\n" + _INLINE_DASHES.sub("\n- ", " " + m[1]).strip(), text)
    soup = BeautifulSoup(text, "html.parser")
    for el in soup.find_all(_DROP):
        el.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for el in soup.find_all(_BLOCK_TAGS):
        el.insert_before("\n")
        el.insert_after("\n")
        el.unwrap()
    plain = soup.get_text()
    lines = [ln.strip(" ") for ln in plain.split("\n")]
    out = "\n".join(lines)
    # A block tag next to a tab leaves "\n\t" or "\t\n": keep label/value on one line.
    out = re.sub(r"\t\s*\n+", "\t", out)
    out = re.sub(r"\n+(?=\t)", "", out)
    return re.sub(r"\n{3,}", "\n\n", out)


def _is_chrome(el: Tag) -> bool:
    if el.name in _CHROME:
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "search"):
        return True
    hints = " ".join([*(el.get("class") or []), str(el.get("id") or "")])
    return bool(hints and _CHROME_HINT.search(hints))


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
    for el in soup.find_all(_DROP):
        el.decompose()
    for el in soup.find_all(["head"]):
        el.decompose()
    for el in soup.find_all(True):
        if el.parent is not None and not el.decomposed and _is_chrome(el):
            el.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[Block] = []
    _walk(root, blocks)
    blocks = [b for b in blocks if b.text]
    h1 = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return blocks, h1 or page_title or None, url


def _walk(node: Tag, blocks: list[Block]) -> None:
    for child in node.children:
        if not isinstance(child, Tag):
            text = normalize_spaces(str(child)) if not isinstance(child, Comment) else ""
            if text:
                _append_inline(blocks, text)
            continue
        name = child.name
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = normalize_spaces(child.get_text(" "))
            if text:
                blocks.append(Block("heading", text, level=int(name[1])))
        elif name == "li":
            text = normalize_spaces(child.get_text(" "))
            if text:
                blocks.append(Block("item", text))
        elif name == "tr":
            cells = [normalize_spaces(c.get_text(" ")) for c in child.find_all(["td", "th"])]
            cells = [c for c in cells if c]
            if cells:
                blocks.append(
                    Block("para", ": ".join(cells) if len(cells) == 2 else " | ".join(cells))
                )
        elif name in ("p", "dd", "dt", "blockquote", "pre", "figcaption"):
            text = normalize_spaces(child.get_text(" "))
            if text:
                blocks.append(Block("para", text))
        elif name == "br":
            blocks.append(Block("para", ""))
        elif name in _BLOCK_TAGS or name in ("main", "article", "section", "body", "figure"):
            _walk(child, blocks)
            blocks.append(Block("para", ""))
        else:
            text = normalize_spaces(child.get_text(" "))
            if text:
                _append_inline(blocks, text)


def _append_inline(blocks: list[Block], text: str) -> None:
    """Inline text continues the open paragraph; an empty block marks a closed one."""
    if blocks and blocks[-1].kind == "para" and blocks[-1].text:
        blocks[-1].text = f"{blocks[-1].text} {text}"
    elif blocks and blocks[-1].kind == "para" and not blocks[-1].text:
        blocks[-1] = Block("para", text)
    else:
        blocks.append(Block("para", text))
