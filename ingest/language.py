"""Language detection that knows when not to guess.

langdetect is unreliable on short text, so texts below a minimum length get
``"unknown"`` unless a container (the file they came from) has a language to inherit.
Detection is seeded so the same text always gets the same answer.
"""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0

UNKNOWN = "unknown"
_MAX_CHARS = 5000


def _normalise(code: str) -> str:
    # langdetect reports Norwegian Bokmål as "no" and Chinese with a region suffix.
    return code.split("-")[0].lower()


def detect(text: str, *, min_chars: int = 40) -> tuple[str, float]:
    """Most likely language of ``text`` and its probability; ``("unknown", 0.0)`` if unsure."""
    sample = " ".join(text.split())[:_MAX_CHARS]
    letters = sum(ch.isalpha() for ch in sample)
    if letters < min_chars:
        return UNKNOWN, 0.0
    DetectorFactory.seed = 0
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return UNKNOWN, 0.0
    return _normalise(best.lang), float(best.prob)


def language_of(
    text: str, *, inherit: str | None = None, min_chars: int = 40, reliable_chars: int = 400
) -> str:
    """The language to record for a text.

    Args:
        text: the text.
        inherit: the language of what contains it (a list page for one of its items, a
            case for one of its sections); short or uncertain texts take it.
        min_chars: below this many letters a text alone is ``"unknown"``.
        reliable_chars: from this many letters (and a confident guess) the text's own
            language wins over ``inherit``.
    """
    lang, prob = detect(text, min_chars=min_chars)
    if inherit and inherit != UNKNOWN:
        letters = sum(ch.isalpha() for ch in text)
        if lang == UNKNOWN or letters < reliable_chars or prob < 0.9:
            return inherit
    return lang
