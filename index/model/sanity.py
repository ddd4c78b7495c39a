"""A quick Danish/English check that the loaded model ranks across languages.

A question in one language must score the matching passage in the other language above an
unrelated passage in that language. A broken conversion or a monolingual model fails this.
"""

from __future__ import annotations

from dataclasses import dataclass

from casesearch.index.model.embedder import Embedder

#: (question, matching passage, unrelated passage); each pair crosses languages.
CHECKS: list[tuple[str, str, str]] = [
    (
        "hvordan inddrager man ledige beboere i affaldshåndtering",
        "Long-term unemployed residents of the social housing area were trained as waste "
        "guides and now help their neighbours sort and recycle waste.",
        "The city council approved a new budget for road maintenance and street lighting.",
    ),
    (
        "how to involve unemployed residents in waste management",
        "Langtidsledige beboere i boligområdet blev uddannet som affaldsguider og hjælper nu "
        "naboerne med at sortere og genbruge affald.",
        "Byrådet vedtog et nyt budget til vedligeholdelse af veje og gadebelysning.",
    ),
    (
        "climate citizens' assemblies",
        "Klimaborgerting samler tilfældigt udvalgte borgere, der drøfter klimapolitik og giver "
        "anbefalinger til politikerne.",
        "Biblioteket har udvidet sine åbningstider i weekenden.",
    ),
]


@dataclass(frozen=True)
class CheckResult:
    """Whether every matching passage beat its distractor, and one line per check."""

    passed: bool
    lines: list[str]


def cross_lingual_check(embedder: Embedder) -> CheckResult:
    """Score every check; ``passed`` when each matching passage beats its distractor."""
    lines = []
    passed = True
    for question, match, other in CHECKS:
        q = embedder.encode_queries([question])[0]
        p = embedder.encode_documents([match, other])
        good, bad = float(p[0] @ q), float(p[1] @ q)
        ok = good > bad
        passed &= ok
        lines.append(f"{'ok ' if ok else 'BAD'} {good:.3f} > {bad:.3f}  {question!r}")
    return CheckResult(passed, lines)
