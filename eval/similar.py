"""How well "more like this" finds related cases, measured on the labelled questions.

Two cases that both answer the same labelled question (grade 2) are related: a reader of one
would want to see the other. For every case that answers some question, its related cases are
all other cases that answer any question it answers; "more like this" from that case is scored
against them with nDCG@10 and Recall@10 (ir_measures), overall and by whether the related case
is in the seed's language. Run with ``python -m casesearch.eval.similar [DATA_DIR]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from casesearch.core.config import DEFAULT_QUESTIONS
from casesearch.eval.dataset import QuestionSet, load_questions
from casesearch.eval.metrics import mean_scores, per_query
from casesearch.index.search.searcher import SIMILAR_METHODS, Searcher


def related_cases(questions: QuestionSet) -> dict[str, dict[str, int]]:
    """``{seed case: {related case: 1}}`` from the grade-2 judgments of every question."""
    related: dict[str, dict[str, int]] = {}
    for judged in questions.qrels.values():
        answers = [case for case, grade in judged.items() if grade >= 2]
        for seed in answers:
            for other in answers:
                if other != seed:
                    related.setdefault(seed, {})[other] = 1
    return related


def evaluate_similar(
    searcher: Searcher, questions: QuestionSet, methods: tuple[str, ...] = SIMILAR_METHODS
) -> dict[str, dict[str, dict[str, float]]]:
    """``{method: {"all" | "same-language" | "cross-language": measures}}``."""
    related = {
        seed: cases for seed, cases in related_cases(questions).items() if searcher.case(seed)
    }
    lang = {c.id: c.lang for c in searcher.cases}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for method in methods:
        rankings = {
            seed: [r.case_id for r in searcher.similar_cases(seed, 20, method=method).results]
            for seed in related
        }
        parts: dict[str, dict[str, dict[str, int]]] = {"all": related}
        for name, same in (("same-language", True), ("cross-language", False)):
            part = {
                seed: {c: g for c, g in cases.items() if (lang.get(c) == lang[seed]) == same}
                for seed, cases in related.items()
            }
            parts[name] = {seed: cases for seed, cases in part.items() if cases}
        out[method] = {}
        for name, qrels in parts.items():
            scores = per_query(qrels, {seed: rankings[seed] for seed in qrels})
            out[method][name] = {**mean_scores(scores), "seeds": len(qrels)}
    return out


def main(argv: list[str]) -> int:
    data_dir = Path(argv[0]) if argv else None
    if data_dir is None:
        from casesearch.core.config import resolve_data_dir

        data_dir = resolve_data_dir(None)
    searcher = Searcher.open(data_dir)
    result = evaluate_similar(searcher, load_questions(DEFAULT_QUESTIONS))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
