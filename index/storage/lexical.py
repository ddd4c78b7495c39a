"""BM25 with language-aware analysis (Danish and English stemming and stop words).

Each chunk is analysed with the stemmer and stop words of its own language. A query's language
is uncertain (short text), so at search time it is analysed once per corpus language and each
analysis is scored only against the chunks of that language: Danish chunks see the Danish
reading of the query, English chunks the English one.

What is stored is not a score matrix but term-frequency postings (chunk x term counts, see
:class:`Postings`). Lucene BM25 (the variant bm25s calls ``lucene``; a test checks that both give
the same scores) is computed at query time for the question's few terms, from the document
frequencies and average length of the chunks that are live *now*. That makes the index
appendable: adding a case adds its postings, and nothing already indexed is analysed or
re-scored again (a precomputed score matrix changes everywhere when one chunk is added).
"""

from __future__ import annotations

import io
import json
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import Stemmer
from bm25s import stopwords as bm25s_stopwords

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

#: BM25 parameters (Lucene's defaults).
BM25_K1 = 1.2
BM25_B = 0.75

#: ISO 639-1 code -> Snowball stemmer name (PyStemmer).
STEMMERS = {
    "da": "danish",
    "en": "english",
    "no": "norwegian",
    "sv": "swedish",
    "de": "german",
    "nl": "dutch",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "fi": "finnish",
}

_STOPWORDS = {
    "da": bm25s_stopwords.STOPWORDS_DANISH,
    "en": bm25s_stopwords.STOPWORDS_EN,
    "no": bm25s_stopwords.STOPWORDS_NORWEGIAN,
    "sv": bm25s_stopwords.STOPWORDS_SWEDISH,
    "de": bm25s_stopwords.STOPWORDS_GERMAN,
    "nl": bm25s_stopwords.STOPWORDS_DUTCH,
    "fr": bm25s_stopwords.STOPWORDS_FRENCH,
    "es": bm25s_stopwords.STOPWORDS_SPANISH,
    "it": bm25s_stopwords.STOPWORDS_ITALIAN,
    "pt": bm25s_stopwords.STOPWORDS_PORTUGUESE,
}

POSTINGS = "postings.npz"
VOCAB = "vocab.json"


@cache
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    name = STEMMERS.get(lang)
    return Stemmer.Stemmer(name) if name else None


@cache
def _stopwords(lang: str) -> frozenset[str]:
    return frozenset(_STOPWORDS.get(lang, ()))


def analyze(text: str, lang: str) -> list[str]:
    """Lower-case word tokens without stop words, stemmed for ``lang`` when it has a stemmer."""
    stop = _stopwords(lang)
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stop]
    stemmer = _stemmer(lang)
    return stemmer.stemWords(words) if stemmer else words


@dataclass
class Postings:
    """Term counts of a list of chunks: a sparse chunk x term matrix and its vocabulary.

    Row ``i`` holds how often each term occurs in chunk ``i`` (so its sum is the chunk's
    length in tokens). Postings of different indexes have their own vocabularies;
    :meth:`concat` aligns them.
    """

    matrix: sp.csr_matrix
    vocab: list[str]

    @property
    def rows(self) -> int:
        return int(self.matrix.shape[0])

    @classmethod
    def from_texts(cls, texts: Sequence[str], langs: Sequence[str]) -> Postings:
        """Analyse every text in its own language and count its terms.

        One text is analysed at a time, so building the postings of a million chunks holds
        their counts, not their token lists.
        """
        return cls.from_tokens(analyze(text, lang) for text, lang in zip(texts, langs, strict=True))

    @classmethod
    def from_tokens(cls, token_lists: Iterable[Sequence[str]]) -> Postings:
        vocab: dict[str, int] = {}
        indptr = array("q", [0])
        indices = array("i")
        data = array("f")
        for tokens in token_lists:
            counts: dict[int, int] = {}
            for token in tokens:
                col = vocab.setdefault(token, len(vocab))
                counts[col] = counts.get(col, 0) + 1
            indices.extend(counts)
            data.extend(counts.values())
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (
                np.frombuffer(data, dtype=np.float32),
                np.frombuffer(indices, dtype=np.int32),
                np.frombuffer(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) - 1, len(vocab)),
        )
        return cls(matrix, list(vocab))

    def take(self, rows: np.ndarray) -> Postings:
        """The postings of ``rows`` only (same vocabulary)."""
        return Postings(self.matrix[np.asarray(rows, dtype=np.int64)], self.vocab)

    @classmethod
    def concat(cls, parts: Sequence[Postings], *, prune: bool = True) -> Postings:
        """Stack postings row-wise over the union of their vocabularies.

        ``prune`` drops terms no row uses any more (worth it before writing, not when an index
        is only being opened).
        """
        vocab: dict[str, int] = {}
        blocks = []
        for part in parts:
            remap = np.asarray([vocab.setdefault(t, len(vocab)) for t in part.vocab], np.int64)
            m = part.matrix.tocsr()
            blocks.append((m.data, remap[m.indices] if len(remap) else m.indices, m.indptr))
        n_rows = sum(part.rows for part in parts)
        data = np.concatenate([b[0] for b in blocks]) if blocks else np.zeros(0, np.float32)
        indices = np.concatenate([b[1] for b in blocks]) if blocks else np.zeros(0, np.int64)
        indptr = [np.zeros(1, dtype=np.int64)]
        offset = 0
        for b in blocks:
            indptr.append(b[2][1:].astype(np.int64) + offset)
            offset += int(b[2][-1])
        matrix = sp.csr_matrix(
            (
                data.astype(np.float32, copy=False),
                indices.astype(np.int32, copy=False),
                np.concatenate(indptr),
            ),
            shape=(n_rows, len(vocab)),
        )
        joined = cls(matrix, list(vocab))
        return joined.pruned() if prune else joined

    def pruned(self) -> Postings:
        """Drop terms that no row uses (after rows were taken away)."""
        used = np.unique(self.matrix.indices)
        if len(used) == len(self.vocab):
            return self
        remap = np.full(len(self.vocab), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        m = self.matrix
        matrix = sp.csr_matrix(
            (m.data, remap[m.indices].astype(np.int32), m.indptr), shape=(m.shape[0], len(used))
        )
        return Postings(matrix, [self.vocab[i] for i in used.tolist()])

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        sp.save_npz(folder / POSTINGS, self.matrix.tocsr(), compressed=False)
        (folder / VOCAB).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Postings:
        return cls.from_bytes((folder / POSTINGS).read_bytes(), (folder / VOCAB).read_bytes())

    @classmethod
    def from_bytes(cls, matrix_npz: bytes, vocab_json: bytes) -> Postings:
        """Decode stored postings, checking that matrix and vocabulary fit together.

        Raises:
            ValueError: the bytes are not postings (damaged files).
        """
        matrix = sp.load_npz(io.BytesIO(matrix_npz)).tocsr()
        vocab = json.loads(vocab_json.decode("utf-8"))
        if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab):
            raise ValueError("the vocabulary is not a list of terms")
        if matrix.shape[1] != len(vocab):
            raise ValueError(f"{matrix.shape[1]} term columns but {len(vocab)} terms")
        matrix.check_format(full_check=True)
        if len(matrix.data) and float(matrix.data.min()) < 0:
            raise ValueError("negative term counts")
        return cls(matrix, vocab)


class LexicalIndex:
    """Query-time Lucene BM25 over postings, each chunk scored in its own language."""

    def __init__(self, postings: Postings, chunk_langs: Sequence[str]) -> None:
        langs = np.asarray(list(chunk_langs), dtype=object)
        if len(langs) != postings.rows:
            raise ValueError(f"{postings.rows} postings rows but {len(langs)} chunk languages")
        self.languages = sorted(set(langs.tolist()))
        code = {lang: i for i, lang in enumerate(self.languages)}
        self.chunk_lang_code = np.asarray([code[x] for x in langs.tolist()], dtype=np.int16)
        self.size = postings.rows
        self.vocab = {term: i for i, term in enumerate(postings.vocab)}
        csc = postings.matrix.tocsc()
        csc.sort_indices()
        self._indptr, self._rows, self._tf = csc.indptr, csc.indices, csc.data
        df = np.diff(csc.indptr).astype(np.float64)
        n = max(self.size, 1)
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = np.asarray(postings.matrix.sum(axis=1)).ravel().astype(np.float32)
        avg = float(lengths.mean()) if self.size and lengths.mean() > 0 else 1.0
        #: The length-dependent part of Lucene's tf normalisation, per chunk.
        self.norm = (BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / avg)).astype(np.float32)

    @classmethod
    def build(cls, texts: Sequence[str], langs: Sequence[str]) -> LexicalIndex:
        """Analyse every chunk in its own language and index it."""
        return cls(Postings.from_texts(texts, langs), langs)

    def term_scores(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """Chunk rows containing ``token`` and the BM25 contribution of the term to each."""
        col = self.vocab.get(token)
        if col is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        start, end = self._indptr[col], self._indptr[col + 1]
        rows, tf = self._rows[start:end], self._tf[start:end]
        return rows, self.idf[col] * tf / (tf + self.norm[rows])

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, each chunk scored with the query read in its language."""
        total = np.zeros(self.size, dtype=np.float32)
        for code, lang in enumerate(self.languages):
            for token in analyze(query, lang):  # a repeated word counts again, as in Lucene
                rows, contrib = self.term_scores(token)
                if len(rows) == 0:
                    continue
                keep = self.chunk_lang_code[rows] == code
                total[rows[keep]] += contrib[keep]  # rows of one term are distinct
        return total
