"""Embedding one question: the fp32 path and the previous bf16 path against the current one.

Four ways to run the encoder layers of the default model for one question, on one thread
(as searches run them; ``--threads`` to try more), measured interleaved question by question
with the order rotating:

* ``fp32-frozen`` -- the first path: the Hugging Face encoder in float32, TorchScript-
  traced, frozen and optimised for inference.
* ``bf16-plain-frozen`` -- the previous release's path: :class:`QuestionLayers` with the
  weights in plain bfloat16, traced and frozen.
* ``bf16-packed-eager`` -- the weights in oneDNN's layout, eager (where torch cannot script).
* ``bf16-packed-compiled`` -- the same layers compiled with TorchScript and run by its plain
  interpreter (:class:`CompiledQuestionLayers`): the path ``torch-bf16`` searches take.

Every path embeds the whole question (tokenising, embeddings, layers, pooling). Agreement is
the cosine of each question's vector with the fp32 model's (eager Hugging Face encoder).
With ``--scan N`` a flat FAISS scan of N random vectors runs before every question, as a
search's dense scan does before the next question: it pushes the weights out of the caches.

Command (figures in BENCHMARKS.md)::

    .venv/bin/python benchmarks/bench_question.py --out benchmarks/results/question.json
    .venv/bin/python benchmarks/bench_question.py --scan 100000 \
        --out benchmarks/results/question_after_scan.json
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


def _frozen(module: Any, example: Any, optimize: bool) -> Any:
    """A previous path: traced and frozen (fp32: also optimised for inference)."""
    import torch

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frozen = torch.jit.freeze(torch.jit.trace(module.eval(), (example,), strict=False).eval())
        return torch.jit.optimize_for_inference(frozen) if optimize else frozen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK))
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (searches use 1)")
    parser.add_argument("--scan", type=int, default=0, help="flat FAISS scan before each question")
    parser.add_argument("--out", default="benchmarks/results/question.json")
    args = parser.parse_args()

    import torch

    from casesearch.index.model.backends import cpu_has_bf16
    from casesearch.index.model.embedder import E5_PROMPTS, ensure_converted_default
    from casesearch.index.model.question_layers import QuestionLayers
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

    class PlainLayers(torch.nn.Module):
        """The previous release's question layers: plain bf16 weights, traced (the exported
        ``embed`` of :class:`QuestionLayers` cannot be traced, so only its layers are)."""

        def __init__(self) -> None:
            super().__init__()
            self.layers = QuestionLayers(bert, bf16=cpu_has_bf16(), packed=False).layers

        def forward(self, hidden: Any) -> Any:
            for layer in self.layers:
                hidden = layer(hidden)
            return hidden

    example = bert.embeddings(input_ids=torch.tensor([tokenizer.encode(texts[0]).ids]))
    layers: dict[str, Callable[[Any], Any]] = {
        "fp32-frozen": _frozen(HfLayers(), example, optimize=True),
        "bf16-plain-frozen": _frozen(PlainLayers(), example, optimize=False),
        "bf16-packed-eager": QuestionLayers(bert, bf16=cpu_has_bf16()).eval(),
    }
    scan: Callable[[], Any] = lambda: None  # noqa: E731
    if args.scan:
        import faiss

        faiss.omp_set_num_threads(1)
        flat = faiss.IndexFlatIP(bert.config.hidden_size)
        flat.add(np.random.default_rng(0).random((args.scan, flat.d), dtype=np.float32))
        probe = np.ones((1, flat.d), dtype=np.float32)
        scan = lambda: flat.search(probe, 100)  # noqa: E731

    def embed(run: Callable[[Any], Any], text: str) -> np.ndarray:
        with torch.inference_mode():
            ids = torch.tensor([tokenizer.encode(text).ids])
            states = run(bert.embeddings(input_ids=ids))
            return torch.nn.functional.normalize(states.mean(1), dim=-1).numpy()[0]

    paths: dict[str, Callable[[str], np.ndarray]] = {
        name: (lambda text, run=run: embed(run, text)) for name, run in layers.items()
    }
    # What searches use: the encoder's own single-question path (compiled embeddings, layers
    # and pooling in one call).
    paths["bf16-packed-compiled"] = lambda text: encoder._encode_single(text)[0]
    reference = [embed(lambda h: bert.encoder(h)[0], t) for t in texts]
    for path in paths.values():  # warm-up
        for text in texts[:5]:
            path(text)
    names = list(paths)
    times: dict[str, list[float]] = {n: [] for n in names}
    cosines: dict[str, list[float]] = {n: [] for n in names}
    log(f"{len(texts)} questions x {args.rounds} rounds, {len(names)} paths")
    for r in range(args.rounds):
        for i, text in enumerate(texts):
            shift = (i + r) % len(names)
            for name in names[shift:] + names[:shift]:
                scan()
                t0 = time.perf_counter()
                vector = paths[name](text)
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
        "scan_before_each": args.scan,
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
