"""Names of languages, in English and Danish, for whatever tells a user about languages.

The index and the searcher speak in ISO 639-1 codes (``da``, ``en``); the command line and the
app say "Danish" / "dansk" instead.
"""

from __future__ import annotations

#: Language names by interface language, then by ISO 639-1 code.
NAMES: dict[str, dict[str, str]] = {
    "en": {
        "da": "Danish",
        "en": "English",
        "sv": "Swedish",
        "no": "Norwegian",
        "de": "German",
        "nl": "Dutch",
        "fr": "French",
        "es": "Spanish",
        "it": "Italian",
        "pt": "Portuguese",
        "fi": "Finnish",
        "unknown": "unknown language",
    },
    "da": {
        "da": "dansk",
        "en": "engelsk",
        "sv": "svensk",
        "no": "norsk",
        "de": "tysk",
        "nl": "hollandsk",
        "fr": "fransk",
        "es": "spansk",
        "it": "italiensk",
        "pt": "portugisisk",
        "fi": "finsk",
        "unknown": "ukendt sprog",
    },
}


def language_name(code: str, interface: str = "en") -> str:
    """The name of language ``code`` in the interface language (the code itself if unknown)."""
    names = NAMES.get(interface, NAMES["en"])
    return names.get(code, code.upper() if code else names["unknown"])


def language_list(codes: list[str], interface: str = "en") -> str:
    """``Danish and English`` / ``dansk og engelsk``: names joined as a sentence would."""
    names = [language_name(c, interface) for c in codes]
    if len(names) <= 1:
        return "".join(names)
    last = " og " if interface == "da" else " and "
    return ", ".join(names[:-1]) + last + names[-1]
