"""Turning case text into page content that can only ever show as text.

Case texts come from files anyone can upload, so a ``<script>``, an ``<img onerror=...>`` or a
markdown link to ``javascript:`` in a file must appear literally, never run or render. Every
piece of case text goes through :func:`literal`, which escapes HTML *and* every character that
markdown, Streamlit's colour/emoji directives or LaTeX give a meaning, so the result is inert in
both ``st.markdown`` and HTML. Only markup written here (spans, marks, badges) is real markup.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

#: Characters with a meaning in markdown, GitHub extensions, Streamlit directives or LaTeX.
_SPECIAL = set("\\`*_{}[]()#+-.!|<>&:$~=^@%\"'")


def literal(text: str) -> str:
    """Text as inert HTML: every special character becomes a numeric entity.

    Line breaks become ``<br>`` so the result is a single source line: a blank line would end
    an HTML block in markdown and let the rest be parsed as markdown.
    """
    out = []
    for ch in str(text):
        if ch in _SPECIAL:
            out.append(f"&#{ord(ch)};")
        elif ch == "\n":
            out.append("<br>")
        elif ch in "\r\x00" or (ord(ch) < 32 and ch != "\t"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain web address (http/https), else None.

    Blocks ``javascript:``, ``data:`` and other schemes a file could smuggle in as its URL.
    """
    if not url:
        return None
    url = str(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch.isspace() or ch in "<>\"'`" for ch in url):
        return None
    return url


def link_html(url: str, label: str) -> str:
    """An external link with an escaped address and an inert label."""
    return (
        f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
        f"{literal(label)}</a>"
    )


def marked_html(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with non-overlapping ``(start, end, css_class)`` spans wrapped in ``<mark>``."""
    out, pos = [], 0
    for start, end, css in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if end <= start:
            continue
        out.append(literal(text[pos:start]))
        out.append(f'<mark class="{css}">{literal(text[start:end])}</mark>')
        pos = end
    out.append(literal(text[pos:]))
    return "".join(out)


def tidy_excerpt(
    text: str, highlight: tuple[int, int] | None
) -> tuple[str, tuple[int, int] | None]:
    """Collapse runs of spaces and blank lines for display, keeping the highlight aligned."""
    out: list[str] = []
    new_hl: list[int] = [-1, -1]
    last_space = True
    newlines = 0
    for i, ch in enumerate(text):
        if highlight and i == highlight[0]:
            new_hl[0] = len(out)
        if highlight and i == highlight[1]:
            new_hl[1] = len(out)
        if ch == "\n":
            newlines += 1
            continue
        if ch.isspace():
            if not last_space:
                out.append(" ")
                last_space = True
            continue
        if newlines:
            while out and out[-1] == " ":
                out.pop()
            if out:
                out.append("\n\n" if newlines > 1 else "\n")
            newlines = 0
        out.append(ch)
        last_space = False
    if highlight and highlight[1] >= len(text):
        new_hl[1] = len(out)
    tidy = "".join(out).rstrip()
    if not highlight or new_hl[0] < 0 or new_hl[1] <= new_hl[0]:
        return tidy, None
    return tidy, (new_hl[0], min(new_hl[1], len(tidy)))


def context_window(text: str, start: int, end: int, extra: int = 1200) -> tuple[int, int]:
    """A stretch of ``text`` around ``[start, end)``, widened to paragraph boundaries."""
    lo = max(0, start - extra)
    hi = min(len(text), end + extra)
    if lo > 0:
        cut = text.find("\n", lo, start)
        lo = cut + 1 if cut >= 0 else lo
    if hi < len(text):
        cut = text.rfind("\n", end, hi)
        hi = cut if cut >= 0 else hi
    return lo, hi


def collection_label(collection: str) -> str:
    """A folder or file-stem collection name as words ("inspiration-til-praksis" -> ...).

    Empty when there is none; the page then shows the catalogue's word for that.
    """
    words = str(collection).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else ""


def short(text: str, limit: int = 90) -> str:
    """First words of ``text`` up to ``limit`` characters (for menus and tables)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,.;:") + "…"
