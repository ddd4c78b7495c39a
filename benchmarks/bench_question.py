"""Embedding one question: the previous fp32 path against the bf16 question layers.

Three ways to run the encoder layers of the default model for one question, on one thread
(as searches run them; ``--threads`` to try more), measured interleaved question by question
with the order rotating:

* ``fp32-frozen`` -- the previous path: the Hugging Face encoder in float32, TorchScript-
  traced, frozen and optimised for inference.
* ``bf16-eager`` -- :class:`QuestionLayers` with the weights stored in bfloat16 (what a
  process uses for its first questions).
* ``bf16-frozen`` -- the same layers traced and frozen (what it uses after
  ``TRACE_AFTER`` questions): the path ``torch-bf16`` searches take.

Every path embeds the whole question (tokenising, embeddings, layers, pooling). Agreement is
the cosine of each question's vector with the fp32 model's (eager Hugging Face encoder).

Command (figures in BENCHMARKS.md)::

    .venv/bin/python benchmarks/bench_question.py --out benchmarks/results/question.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DEFAULT_WORK, load_questions, log, machine, model_data, summary


def _frozen(module: Any, example: Any) -> Any:
    """The previous fp32 path: traced, frozen and optimised for inference."""
    import torch

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(module.eval(), (example,), strict=False)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK))
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (searches use 1)")
    parser.add_argument("--out", default="benchmarks/results/question.json")
    args = parser.parse_args()

    import torch

    from casesearch.index.model.backends import cpu_has_bf16
    from casesearch.index.model.embedder import E5_PROMPTS, ensure_converted_default
    from casesearch.index.model.torch_encoder import TorchEncoder

    torch.set_num_threads(args.threads)
    encoder = TorchEncoder(ensure_converted_default(model_data(Path(args.work_dir))), bf16=True)
    bert = encoder._model
    tokenizer = encoder._tok
    questions, source = load_questions(args.questions)
    texts = [E5_PROMPTS["query"] + q for q in questions]

    class HfLayers(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = bert.encoder

        def forward(self, hidden: Any) -> Any:
            return self.encoder(hidden)[0]

    example = bert.embeddings(input_ids=torch.tensor([tokenizer.encode(texts[0]).ids]))
    encoder._trace()  # the encoder's own question layers and frozen copy, as searches use them
    paths: dict[str, Callable[[Any], Any]] = {
        "fp32-frozen": _frozen(HfLayers(), example),
        "bf16-eager": encoder._question_layers(),
        "bf16-frozen": encoder._frozen,
    }

    def embed(layers: Callable[[Any], Any], text: str) -> np.ndarray:
        with torch.inference_mode():
            ids = torch.tensor([tokenizer.encode(text).ids])
            states = layers(bert.embeddings(input_ids=ids))
            return torch.nn.functional.normalize(states.mean(1), dim=-1).numpy()[0]

    reference = [embed(lambda h: bert.encoder(h)[0], t) for t in texts]
    for layers in paths.values():  # warm-up
        for text in texts[:5]:
            embed(layers, text)
    names = list(paths)
    times: dict[str, list[float]] = {n: [] for n in names}
    cosines: dict[str, list[float]] = {n: [] for n in names}
    log(f"{len(texts)} questions x {args.rounds} rounds, {len(names)} paths")
    for r in range(args.rounds):
        for i, text in enumerate(texts):
            shift = (i + r) % len(names)
            for name in names[shift:] + names[:shift]:
                t0 = time.perf_counter()
                vector = embed(paths[name], text)
                times[name].append((time.perf_counter() - t0) * 1000)
                if r == 0:
                    cosines[name].append(float(vector @ reference[i]))
    tokens = [len(tokenizer.encode(t).ids) for t in texts]
    result = {
        "machine": machine(),
        "command": "benchmarks/bench_question.py " + " ".join(sys.argv[1:]),
        "questions": len(texts),
        "question_source": source,
        "rounds": args.rounds,
        "threads": args.threads,
        "tokens": summary([float(t) for t in tokens]),
        "bf16_weights": cpu_has_bf16(),
        "paths": {
            name: {
                "ms": summary(times[name]),
                "cosine_to_fp32_min": round(min(cosines[name]), 7),
                "cosine_to_fp32_mean": round(float(np.mean(cosines[name])), 7),
            }
            for name in names
        },
    }
    base = result["paths"]["fp32-frozen"]["ms"]["p50"]  # type: ignore[index]
    for name in names:
        row = result["paths"][name]  # type: ignore[index]
        row["p50_vs_fp32_frozen"] = round(row["ms"]["p50"] / base, 3)
        log(
            f"{name:12s} p50 {row['ms']['p50']:6.2f} ms  p95 {row['ms']['p95']:6.2f}  "
            f"x{row['p50_vs_fp32_frozen']:.2f}  cosine min {row['cosine_to_fp32_min']:.6f}"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
