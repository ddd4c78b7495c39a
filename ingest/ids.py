"""Stable, human-readable identifiers for cases and chunks.

Ids are derived from case titles so that labelled relevance judgments (qrels) stay readable
and survive re-ingestion: the same title always yields the same id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 80


def slugify(text: str, max_len: int = MAX_SLUG) -> str:
    """Lower-case ASCII slug; Danish letters are transliterated (æ->ae, ø->oe, å->aa).

    Args:
        text: any title.
        max_len: the slug is cut at a word boundary below this length.

    Returns:
        A slug such as ``"klimaborgerting-tendenser-udfordringer-og-muligheder"``;
        ``"untitled"`` when nothing usable is left.
    """
    folded = unicodedata.normalize("NFKD", text.translate(_DANISH))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_WORD.sub("-", ascii_text).strip("-")
    if len(slug) > max_len:
        cut = slug[:max_len]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "untitled"


def short_hash(text: str, length: int = 8) -> str:
    """Hex digest prefix used to disambiguate colliding slugs and to fingerprint text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def case_id(title: str) -> str:
    """The id a case gets from its title (collisions are resolved by the store)."""
    return slugify(title)


def chunk_id(case: str, index: int) -> str:
    """Chunk ids are the case id plus the chunk's position in the case."""
    return f"{case}#{index}"
