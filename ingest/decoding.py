"""Turning file bytes into text without mangling Danish letters.

Exports from Windows tools are often cp1252; web pages and newer tools write UTF-8, with or
without a byte-order mark. Strict UTF-8 almost never succeeds by accident on cp1252 text, so
it is tried first; cp1252 is accepted only when the result looks like prose.

A UTF-8 file with a pasted cp1252 paragraph is neither: decoding it all as cp1252 would turn
every Danish letter of the UTF-8 part into two wrong ones (``Ã¸`` for ``ø``). Such a file is
decoded as UTF-8, and only the bytes that are not UTF-8 are read as cp1252.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

#: Decode-error handler name: bytes that are not UTF-8 are read as cp1252, one by one.
FALLBACK_ERRORS = "casesearch-cp1252-fallback"
# A lead byte with its continuation bytes: proof that part of a file is UTF-8.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


class NotText(ValueError):
    """The bytes are not text in any encoding we accept (e.g. a binary file)."""


@dataclass
class Decoded:
    """Text of a file and, when it took more than one encoding, how it was read.

    Attributes:
        text: the text, with ``\\n`` line ends.
        note: e.g. ``"UTF-8 with 1 line in cp1252"``; ``None`` for a file in one encoding.
    """

    text: str
    note: str | None = None


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return bytes([byte]).decode("latin-1")


_CP1252 = [_cp1252_char(b) for b in range(256)]


def _read_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Decode-error handler: the bytes that are not UTF-8, read as cp1252 one by one."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(_CP1252[b] for b in error.object[error.start : error.end]), error.end


codecs.register_error(FALLBACK_ERRORS, _read_as_cp1252)


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


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _mixed(data: bytes) -> Decoded | None:
    """UTF-8 with stretches in cp1252, or ``None`` when nothing in ``data`` is UTF-8."""
    if _UTF8_SEQUENCE.search(data) is None:
        return None
    body = data.removeprefix(codecs.BOM_UTF8)
    text = body.decode("utf-8", errors=FALLBACK_ERRORS)
    foreign = 0
    for line in body.splitlines():
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            foreign += 1
    lines = "line" if foreign == 1 else "lines"
    return Decoded(_newlines(text), f"UTF-8 with {foreign} {lines} in cp1252")


def decode_text(data: bytes) -> Decoded:
    """Decode file bytes: UTF-16 with BOM, UTF-8 (with or without BOM), mixed, else cp1252.

    Raises:
        NotText: when the bytes look binary or decode to implausible text.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotText("undecodable UTF-16 text") from exc
        if _plausible(text):
            return Decoded(_newlines(text))
        raise NotText("binary content")
    if _looks_binary(data):
        raise NotText("binary content")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        if _plausible(text):
            return Decoded(_newlines(text))
    mixed = _mixed(data)
    if mixed is not None and _plausible(mixed.text):
        return mixed
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return Decoded(_newlines(text))
    raise NotText("binary content (no plausible text encoding)")


def decode_bytes(data: bytes) -> str:
    """The text of :func:`decode_text`.

    Raises:
        NotText: when the bytes look binary or decode to implausible text.
    """
    return decode_text(data).text
