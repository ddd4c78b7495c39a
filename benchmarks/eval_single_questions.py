"""``casesearch eval`` with every question embedded alone, the way a search embeds it.

The evaluation embeds all questions in one batch (the batch path of the model) because it
searches each question many times. A user's search embeds one question through the
single-question path (:class:`casesearch.index.model.question_layers.QuestionLayers`), which
runs other kernels. This runs the same evaluation with each question's vector taken from
that path, so its figures describe what searches get; compare them with a normal run.

Takes the arguments of ``casesearch eval``::

    .venv/bin/python benchmarks/eval_single_questions.py eval --data-dir D --split test \\
        --mode all --json
    .venv/bin/python benchmarks/eval_single_questions.py eval --data-dir D \\
        --beir S/xquad-da-en --beir S/xquad-en-da --beir S/xquad-mixed \\
        --beir S/ntrex-title-da-en --mode all --json

(``S`` is ``../shared/data/eval``; figures in BENCHMARKS.md.)
"""

from __future__ import annotations

import sys

import numpy as np

import casesearch.eval.runner as runner
from casesearch.cli.main import main
from casesearch.eval.dataset import QuestionSet
from casesearch.index.search.searcher import Searcher


def one_at_a_time(searcher: Searcher, questions: QuestionSet) -> dict[str, np.ndarray]:
    """Every question's vector from its own single-question embedding."""
    return {
        q.id: searcher.embed_queries([q.text])[0] for q in questions.questions if q.text.strip()
    }


if __name__ == "__main__":
    runner.question_vectors = one_at_a_time
    sys.exit(main(sys.argv[1:]))
