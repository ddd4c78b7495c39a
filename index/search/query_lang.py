"""How likely a query is written in each corpus language.

Questions are short, and language detection on short text is unreliable, so the result is a
probability per corpus language rather than one label. Norwegian and Swedish readings of a
Danish question (a frequent confusion) count towards Danish when the corpus has no such texts.
"""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0

#: Where a detected language goes when the corpus has no text in it.
_NEAREST = {"no": "da", "nb": "da", "nn": "da", "sv": "da"}


def query_language_probabilities(query: str, corpus_languages: list[str]) -> dict[str, float]:
    """Probability of each corpus language for ``query``; uniform when detection fails."""
    if not corpus_languages:
        return {}
    uniform = {lang: 1.0 / len(corpus_languages) for lang in corpus_languages}
    try:
        detected = detect_langs(query)
    except LangDetectException:
        return uniform
    probs = dict.fromkeys(corpus_languages, 0.0)
    for item in detected:
        lang = item.lang if item.lang in probs else _NEAREST.get(item.lang)
        if lang in probs:
            probs[lang] += float(item.prob)
    total = sum(probs.values())
    if total <= 0:
        return uniform
    return {lang: p / total for lang, p in probs.items()}
