"""Finding the same case in two files (a PDF extraction and a clean export, say).

Two copies of one case differ in line wraps, hyphenation, quotes and stray spaces, so
exact hashes never match. Texts are reduced to lower-case word shingles; MinHash
signatures with banded locality-sensitive hashing find candidate pairs cheaply, and the
exact Jaccard similarity of the shingle sets decides.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

SHINGLE = 3
NUM_PERM = 64
BANDS = 16
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20240607)
_A = _rng.integers(1, 1 << 31, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=NUM_PERM, dtype=np.uint64)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Word n-grams of the lower-cased text, punctuation and spacing ignored."""
    words = _WORD.findall(text.casefold())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """Overlap of two shingle sets (1.0 = identical)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _signature(items: set[str]) -> np.ndarray:
    hashes = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in items), dtype=np.uint64)
    # (a * h + b) mod p with 32-bit inputs stays below 2**63: no overflow in uint64.
    return ((np.outer(hashes, _A) + _B) % _PRIME).min(axis=0)


def near_duplicate_pairs(texts: Sequence[str], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, similarity)`` with ``i < j`` whose shingle Jaccard is >= ``threshold``."""
    sets = [shingles(t) for t in texts]
    rows = NUM_PERM // BANDS
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for idx, items in enumerate(sets):
        if len(items) < 5:
            continue  # too little text to call anything a duplicate
        sig = _signature(items)
        for band in range(BANDS):
            buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(idx)
    candidates: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 1 < len(members) <= 50:
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    candidates.add((i, j))
    out = []
    for i, j in sorted(candidates):
        sim = jaccard(sets[i], sets[j])
        if sim >= threshold:
            out.append((i, j, sim))
    return out


def noise_score(raw: str) -> float:
    """How messy a source text is; the cleaner copy of a duplicate is kept.

    Counts the marks of PDF extraction per 1,000 characters: line breaks inside
    sentences, doubled spaces, spaces before punctuation and whitespace-only lines.
    """
    if not raw:
        return 0.0
    marks = len(re.findall(r"[^\s.!?:;]\n+[ \t]*[a-zæøå]", raw))
    marks += len(re.findall(r"\S  +\S", raw))
    marks += len(re.findall(r"\s[,;.](?=\s)", raw))
    marks += len(re.findall(r"\n[ \t]+\n", raw))
    return 1000.0 * marks / len(raw)
