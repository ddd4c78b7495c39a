"""Paths as store keys, labels and titles, whatever bytes a file name holds.

On Linux a file name is bytes and need not be UTF-8 (``b"caf\\xe9.txt"`` from an old
Windows share or zip file). Python hands such names over with the stray bytes as lone
surrogates, which no UTF-8 file, JSON reader or web page accepts. So:

- the **key** of a file (its store entry and its cases' ``source``) is its path when the
  path is valid UTF-8, else ``file://`` and the path with every byte that is not UTF-8, and
  ``%`` itself, written as ``%XX`` (``file:///data/caf%E9.txt``). Plain keys are absolute
  paths, so the two kinds never meet, and :func:`path_of_key` gives the file back;
- **labels**, collections and titles made from names are readable: stray bytes are read as
  cp1252, as in file contents (``café.txt``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes

from casesearch.ingest.decoding import FALLBACK_ERRORS

_PREFIX = "file://"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _is_clean(text: str) -> bool:
    return _LONE_SURROGATE.search(text) is None


def _name_bytes(text: str) -> bytes:
    try:
        return os.fsencode(text)
    except UnicodeEncodeError:  # a lone surrogate that no file system gave us
        return text.encode("utf-8", "surrogatepass")


def key_of_path(path: str | os.PathLike[str]) -> str:
    """The store key of a file: its path, or a ``file://`` form when not valid UTF-8."""
    text = os.fspath(path)
    if _is_clean(text):
        return text
    out: list[str] = []
    for ch in _name_bytes(text).decode("utf-8", "surrogateescape"):
        if "\udc80" <= ch <= "\udcff":
            out.append(f"%{ord(ch) - 0xDC00:02X}")
        elif ch == "%":
            out.append("%25")
        else:
            out.append(ch)
    return _PREFIX + "".join(out)


def path_of_key(key: str) -> Path:
    """The file a store key names (the inverse of :func:`key_of_path`)."""
    if key.startswith(_PREFIX):
        return Path(os.fsdecode(unquote_to_bytes(key[len(_PREFIX) :])))
    return Path(key)


def readable(text: str) -> str:
    """A name for people: bytes that are not UTF-8 are read as cp1252."""
    if _is_clean(text):
        return text
    return _name_bytes(text).decode("utf-8", FALLBACK_ERRORS)


def clean_text(text: str) -> str:
    """Text without lone surrogates (a JSON ``\\ud800`` escape can make them), as U+FFFD.

    One character for one, so offsets into the text stay valid.
    """
    if _is_clean(text):
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)
