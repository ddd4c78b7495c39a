"""BM25 with language-aware analysis (Danish and English stemming and stop words).

Each chunk is analysed with the stemmer and stop words of its own language. A query's language
is uncertain (short text), so at search time it is analysed once per corpus language and each
analysis is scored only against the chunks of that language: Danish chunks see the Danish
reading of the query, English chunks the English one.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s import stopwords as bm25s_stopwords

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

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


class LexicalIndex:
    """A bm25s index over analysed chunks, plus each chunk's language."""

    def __init__(self, retriever: bm25s.BM25, chunk_langs: np.ndarray) -> None:
        self.retriever = retriever
        self.chunk_langs = chunk_langs
        self.languages = sorted(set(chunk_langs.tolist()))
        self._masks = {lang: chunk_langs == lang for lang in self.languages}

    @classmethod
    def build(cls, texts: list[str], langs: list[str]) -> LexicalIndex:
        """Analyse every chunk in its own language and index it."""
        tokens = [analyze(text, lang) or [""] for text, lang in zip(texts, langs, strict=True)]
        retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        retriever.index(tokens, show_progress=False)
        return cls(retriever, np.asarray(langs, dtype=object))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, each chunk scored with the query read in its language."""
        total = np.zeros(len(self.chunk_langs), dtype=np.float32)
        for lang in self.languages:
            tokens = [t for t in analyze(query, lang) if t in self.retriever.vocab_dict]
            if not tokens:
                continue
            scores = self.retriever.get_scores(tokens)
            total += np.where(self._masks[lang], scores, 0.0).astype(np.float32)
        return total

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(folder), show_progress=False)
        (folder / "chunk_langs.json").write_text(
            json.dumps(self.chunk_langs.tolist()), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(folder), show_progress=False, mmap=False)
        langs = json.loads((folder / "chunk_langs.json").read_text(encoding="utf-8"))
        return cls(retriever, np.asarray(langs, dtype=object))
