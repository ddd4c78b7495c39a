"""Turning file bytes into text without mangling Danish letters.

Exports from Windows tools are often cp1252; web pages and newer tools write UTF-8, with or
without a byte-order mark. Strict UTF-8 almost never succeeds by accident on cp1252 text, so
it is tried first; cp1252 is accepted only when the result looks like prose.
"""

from __future__ import annotations

import unicodedata


class NotText(ValueError):
    """The bytes are not text in any encoding we accept (e.g. a binary file)."""


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(2, len(sample) // 100)


def _plausible(text: str) -> bool:
    """Share of letters, digits, spaces and punctuation; controls and symbols mean garbage."""
    if not text:
        return True
    good = 0
    for ch in text[:20000]:
        cat = unicodedata.category(ch)
        if cat[0] in "LNPZ" or ch in "\n\r\t" or cat in ("Sm", "Sc"):
            good += 1
    return good / min(len(text), 20000) >= 0.95


def decode_bytes(data: bytes) -> str:
    """Decode file bytes as UTF-8 (with or without BOM), else cp1252, else latin-1.

    Raises:
        NotText: when the bytes look binary or decode to implausible text.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotText("undecodable UTF-16 text") from exc
        if _plausible(text):
            return text.replace("\r\n", "\n").replace("\r", "\n")
        raise NotText("binary content")
    if _looks_binary(data):
        raise NotText("binary content")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return text.replace("\r\n", "\n").replace("\r", "\n")
    raise NotText("binary content (no plausible text encoding)")
