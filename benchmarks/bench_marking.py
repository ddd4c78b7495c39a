"""Best-sentence marking: separately embedded sentences against vectors pooled from the chunk pass.

Today every sentence of every excerpt is embedded on its own (``passage: <sentence>``) and
the one closest to the question is marked. The alternative measured here ("late chunking")
embeds each chunk once and averages the contextual token states that fall inside each
sentence, which would cost no extra model pass. Both mark with the same question vector.

Two sets:

* **own questions** (``eval/questions``, test qrels) over the bundled corpus: every chunk of
  every relevant case; no gold sentence, so only the agreement of the two methods is
  reported, per language pair (question -> excerpt).
* **xquad-mixed** (``../shared/data/eval``): each question exists in English and Danish and
  each paragraph in both languages. Gold sentence: the English paragraph's sentence sharing
  the most content words with the English question (SQuAD questions paraphrase their answer
  sentence), kept only when it leads clearly (>= 2 shared words, strictly more than any other
  sentence) and when both language versions of the paragraph split into the same number of
  sentences (the Danish one is a sentence-by-sentence translation), so the gold index holds
  for both. All four pairs (da->da, da->en, en->da, en->en) are scored against it.

Command (figures in BENCHMARKS.md)::

    .venv/bin/python benchmarks/bench_marking.py --out benchmarks/results/marking.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DEFAULT_WORK, REPO, log, machine

SHARED = REPO.parent / "shared" / "data" / "eval"
STOP = set(
    [
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "and",
        "or",
        "is",
        "was",
        "were",
        "are",
        "be",
        "by",
        "with",
        "as",
        "from",
        "that",
        "this",
        "which",
        "what",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "did",
        "does",
        "do",
        "its",
        "it",
        "his",
        "her",
        "their",
    ]
)
_WORD = re.compile(r"\w+")
#: (question id, question language, question, embedded head, excerpt, excerpt language, gold)
Pair = tuple[str, str, str, str, str, str, int | None]


def _content(text: str) -> set[str]:
    return {w.lower()[:5] for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in STOP}


def lexical_gold(question: str, text: str) -> int | None:
    """Index of the sentence that clearly shares the most content words with ``question``."""
    from casesearch.ingest.sentences import sentence_spans

    words = _content(question)
    overlap = [len(words & _content(text[s:e])) for s, e in sentence_spans(text)]
    if len(overlap) < 2:
        return None
    top = sorted(overlap, reverse=True)
    return overlap.index(top[0]) if top[0] >= 2 and top[0] > top[1] else None


def own_pairs(work: Path) -> list[Pair]:
    from casesearch.ingest.model import chunk_text_for_embedding
    from casesearch.ingest.pipeline import ingest_paths
    from casesearch.ingest.store import load_store

    data = work / "own-corpus"
    ingest_paths([REPO / "corpus"], data)
    store = load_store(data)
    assert store is not None
    cases = {c.id: c for c in store.cases}
    questions = {}
    for line in (REPO / "eval" / "questions" / "queries.jsonl").open(encoding="utf-8"):
        d = json.loads(line)
        questions[d["_id"]] = (d["metadata"]["lang"], d["text"])
    pairs: list[Pair] = []
    qrels = (REPO / "eval" / "questions" / "qrels" / "test.tsv").read_text().splitlines()[1:]
    for line in qrels:
        qid, cid, _ = line.split()
        case = cases.get(cid)
        for chunk in case.chunks if case else []:
            full, excerpt = chunk_text_for_embedding(case, chunk), case.chunk_text(chunk)
            head = full[: len(full) - len(excerpt)].rstrip("\n")
            lang, text = questions[qid]
            pairs.append((qid, lang, text, head, excerpt, chunk.lang, None))
    return pairs


def xquad_pairs(folder: Path, limit: int) -> list[Pair]:
    from casesearch.ingest.sentences import sentence_spans

    def rows(name: str) -> list[dict]:
        return [json.loads(x) for x in (folder / name).open(encoding="utf-8") if x.strip()]

    corpus = {d["_id"]: d for d in rows("corpus.jsonl")}
    queries = {d["_id"]: d["text"] for d in rows("queries.jsonl")}
    relevant: dict[str, list[str]] = defaultdict(list)
    for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, cid, _ = line.split("\t")
        relevant[qid].append(cid)
    pairs: list[Pair] = []
    for base in sorted({q.rsplit("-", 1)[0] for q in queries})[:limit]:
        q_en, q_da = queries.get(base + "-en"), queries.get(base + "-da")
        english = [c for c in relevant.get(base + "-en", []) if c.endswith("-en")]
        if q_en is None or q_da is None or not english:
            continue
        p_en, p_da = corpus.get(english[0]), corpus.get(english[0][:-3] + "-da")
        if p_da is None:
            continue
        gold = lexical_gold(q_en, p_en["text"])
        if gold is None or len(sentence_spans(p_en["text"])) != len(sentence_spans(p_da["text"])):
            continue
        for q_lang, question in (("en", q_en), ("da", q_da)):
            for p_lang, para in (("en", p_en), ("da", p_da)):
                pairs.append(
                    (f"{base}-{q_lang}", q_lang, question, para.get("title", ""), para["text"],
                     p_lang, gold)
                )  # fmt: skip
    return pairs


def pooled_sentence_vectors(encoder: object, texts: list[str], spans: list[list[tuple[int, int]]],
                            prompt: str) -> list[np.ndarray]:  # fmt: skip
    """Per text, one vector per span: the normalised mean of the chunk pass's token states
    whose first character lies in the span (zero row when none does)."""
    shift = len(prompt)
    out = [np.zeros((len(s), encoder.get_embedding_dimension()), np.float32) for s in spans]  # type: ignore[attr-defined]
    for row, states, enc in encoder.token_states([prompt + t for t in texts], batch_size=16):  # type: ignore[attr-defined]
        offsets = np.asarray(enc.offsets, dtype=np.int64) - shift
        special = np.asarray(enc.special_tokens_mask, dtype=bool)
        for j, (s, e) in enumerate(spans[row]):
            inside = (offsets[:, 0] >= s) & (offsets[:, 0] < e) & ~special
            if inside.any():
                v = states[inside].mean(0)
                out[row][j] = v / np.linalg.norm(v)
    return out


def score(pairs: list[Pair], embedder: object, encoder: object) -> dict[str, dict[str, float]]:
    from casesearch.ingest.sentences import sentence_spans

    texts_of = {p[0]: p[2] for p in pairs}
    qids = sorted(texts_of)
    qvec = dict(zip(qids, embedder.encode_queries([texts_of[q] for q in qids]), strict=True))  # type: ignore[attr-defined]
    excerpts = sorted({(p[3], p[4]) for p in pairs})
    spans = [sentence_spans(e) for _, e in excerpts]
    sentences = sorted({e[s:t] for (_, e), sp in zip(excerpts, spans, strict=True) for s, t in sp})
    log(f"{len(pairs)} pairs, {len(excerpts)} excerpts, {len(sentences)} sentences")
    separate = dict(
        zip(sentences, embedder.encode_documents(sentences, batch_size=64), strict=True)
    )  # type: ignore[attr-defined]
    full = [f"{h}\n{e}" if h else e for h, e in excerpts]
    shifted = [
        [(s + len(f) - len(e), t + len(f) - len(e)) for s, t in sp]
        for f, (_, e), sp in zip(full, excerpts, spans, strict=True)
    ]
    late = dict(
        zip(excerpts, pooled_sentence_vectors(encoder, full, shifted, "passage: "), strict=True)
    )
    where = {x: i for i, x in enumerate(excerpts)}
    res: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for qid, q_lang, _, head, excerpt, p_lang, gold in pairs:
        sp = spans[where[(head, excerpt)]]
        if len(sp) < 2:
            continue
        q = qvec[qid]
        a = int(np.argmax(np.stack([separate[excerpt[s:t]] for s, t in sp]) @ q))
        b = int(np.argmax(late[(head, excerpt)] @ q))
        for key in (f"{q_lang}->{p_lang}", "all"):
            res[key]["same sentence marked"].append(a == b)
            if gold is not None:
                res[key]["separate: gold marked"].append(a == gold)
                res[key]["pooled: gold marked"].append(b == gold)
    return {
        pair: {
            "n": len(m["same sentence marked"]),
            **{k: round(float(np.mean(v)), 3) for k, v in m.items()},
        }
        for pair, m in sorted(res.items())
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK / "marking")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--limit", type=int, default=300, help="xquad questions (per language)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from casesearch.index.model.embedder import ensure_converted_default, load_embedder
    from casesearch.index.model.torch_encoder import TorchEncoder

    args.work_dir.mkdir(parents=True, exist_ok=True)
    embedder = load_embedder(None, args.work_dir)
    encoder = TorchEncoder(ensure_converted_default(args.work_dir), bf16=True)
    result: dict[str, object] = {"machine": machine(), "backend": embedder.info.backend}
    result["own questions"] = score(own_pairs(args.work_dir), embedder, encoder)
    if (args.shared / "xquad-mixed").exists():
        result["xquad-mixed"] = score(
            xquad_pairs(args.shared / "xquad-mixed", args.limit), embedder, encoder
        )
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
