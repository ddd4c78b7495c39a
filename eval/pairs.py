"""Splitting figures by language pair (question language -> case language).

The point of casesearch is that a Danish question finds English cases and vice versa, so an
overall score can hide a broken direction. A question belongs to pair ``q->c`` for every
language ``c`` among its relevant cases (grade >= 1), and inside that pair it is judged only
against the relevant cases in language ``c``: the ranking is left as the user saw it, and a
relevant case in another language counts as not relevant there. So ``da->en`` answers "how well
are the English answers to Danish questions found", even for a question that also has Danish
answers. A question with answers in two languages counts once in each pair, and the overall
figure (all judgments, each question once) is not an average of the pairs.
"""

from __future__ import annotations

from collections.abc import Mapping

from casesearch.eval.dataset import Question

OVERALL = "all"
UNKNOWN = "unknown"


def pair_name(query_lang: str | None, case_lang: str | None) -> str:
    """``"da->en"`` style label; unknown languages are named as such."""
    return f"{query_lang or UNKNOWN}->{case_lang or UNKNOWN}"


def pair_qrels(
    questions: list[Question],
    qrels: Mapping[str, Mapping[str, int]],
    case_lang: Mapping[str, str],
) -> dict[str, dict[str, dict[str, int]]]:
    """Judgments per language pair, restricted to the relevant cases of the pair's language.

    Args:
        questions: the questions (their ``lang`` is the question language).
        qrels: graded judgments per question.
        case_lang: language of every case in the index; a judged case missing from the index
            gets language ``unknown`` (it cannot be found, and shows up as its own pair).

    Returns:
        ``{pair: {query_id: {case_id: grade}}}``, pairs sorted by name.
    """
    out: dict[str, dict[str, dict[str, int]]] = {}
    for question in questions:
        for case_id, grade in qrels.get(question.id, {}).items():
            if grade < 1:
                continue
            pair = pair_name(question.lang, case_lang.get(case_id))
            out.setdefault(pair, {}).setdefault(question.id, {})[case_id] = grade
    return dict(sorted(out.items()))
