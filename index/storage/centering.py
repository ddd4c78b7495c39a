"""Language-centred similarity: remove the model's preference for same-language text.

multilingual-e5-small scores a Danish question higher against *any* Danish passage than
against English ones, so an English case that answers a Danish question loses to loosely
related Danish cases. Subtracting, per language, the query's similarity to that language's
centroid (the mean passage vector) removes this offset:

    score(q, d) = q·d − q·μ_lang(d) = q·(d − μ_lang(d))

Because the correction is linear, the centred vectors ``d − μ`` are what FAISS stores, and one
ordinary inner-product search ranks all languages fairly. On the labelled questions this raised
cross-language nDCG@10 from 0.47 to 0.68 with dense search alone (see README).
"""

from __future__ import annotations

import numpy as np

#: Pseudo-count pulling the centroid of a rare language towards the global mean, so that a
#: language with a handful of chunks is not centred on those very chunks.
SHRINKAGE = 10.0


def language_centroids(vectors: np.ndarray, langs: list[str]) -> dict[str, np.ndarray]:
    """Mean vector per language, shrunk towards the global mean for rare languages."""
    if len(vectors) == 0:
        return {}
    lang_arr = np.asarray(langs, dtype=object)
    sums, counts = {}, {}
    for lang in sorted(set(langs)):
        rows = vectors[lang_arr == lang]
        sums[lang], counts[lang] = rows.sum(axis=0), len(rows)
    return centroids_from_sums(sums, counts)


def centroids_from_sums(
    sums: dict[str, np.ndarray], counts: dict[str, int]
) -> dict[str, np.ndarray]:
    """:func:`language_centroids` from each language's vector sum and count.

    Lets an index whose vectors stay on disk compute its centroids block by block.
    """
    total = sum(counts.values())
    if total == 0:
        return {}
    global_mean = sum(sums.values()) / total
    return {
        lang: ((sums[lang] + SHRINKAGE * global_mean) / (counts[lang] + SHRINKAGE)).astype(
            np.float32
        )
        for lang in sorted(sums)
    }


def centre(
    vectors: np.ndarray,
    langs: list[str],
    centroids: dict[str, np.ndarray],
    *,
    inplace: bool = False,
) -> np.ndarray:
    """``vectors`` minus the centroid of each row's language (``inplace`` saves a copy)."""
    if len(vectors) == 0:
        return vectors
    lang_arr = np.asarray(langs, dtype=object)
    out = vectors if inplace else vectors.copy()
    for lang, mu in centroids.items():
        out[lang_arr == lang] -= mu
    return out
