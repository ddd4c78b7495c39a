"""Evaluating on any BEIR folder: a throwaway, cached index of its corpus.

BEIR corpora are not case files, so they are not sent through the file ingest (which derives
case ids from titles, merges near-duplicates and splits list pages): XQuAD has dozens of
paragraphs under one article title, which would collapse into colliding ids that no longer
match the qrels. Instead every ``corpus.jsonl`` line becomes one case whose id *is* the BEIR
``_id``, with the ingest stage's own sentence-aware chunking and seeded language detection, so
the qrels apply unchanged and the passages look like the ones users' cases get.

The index lives in ``<data_dir>/eval-cache/<fingerprint>/``; the fingerprint covers the corpus
bytes, the model and the chunking settings, so a second run reuses the embeddings and a changed
corpus, model or setting gets a fresh index.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from casesearch.core.progress import Progress
from casesearch.eval.dataset import Question, QuestionSet, load_questions
from casesearch.index.model.embedder import Embedder
from casesearch.index.search.query_lang import query_language_probabilities
from casesearch.index.storage.build import build_index, index_dir
from casesearch.index.storage.manifest import FORMAT_VERSION, MANIFEST
from casesearch.ingest.chunking import chunk_spans
from casesearch.ingest.ids import chunk_id
from casesearch.ingest.language import UNKNOWN, language_of
from casesearch.ingest.model import Case, Chunk
from casesearch.ingest.options import IngestOptions

CACHE_DIRNAME = "eval-cache"
#: Bump when the way cases are built from a BEIR corpus changes (invalidates caches).
BEIR_CASES_VERSION = 1
_PAIR_IN_NAME = re.compile(r"(?:^|[-_])([a-z]{2})[-_]([a-z]{2})(?:$|[-_])")


def corpus_path(folder: Path) -> Path:
    return Path(folder) / "corpus.jsonl"


def fingerprint(folder: Path, model_id: str, options: IngestOptions) -> str:
    """Cache key of a BEIR folder's index: corpus bytes, model and chunking settings."""
    digest = hashlib.sha256()
    with corpus_path(folder).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    digest.update(
        json.dumps(
            {
                "model": model_id,
                "options": options.fingerprint(),
                "cases": BEIR_CASES_VERSION,
                "index": FORMAT_VERSION,
            },
            sort_keys=True,
        ).encode()
    )
    return digest.hexdigest()[:16]


def beir_cases(folder: Path, options: IngestOptions | None = None) -> list[Case]:
    """One case per corpus line, id = BEIR ``_id``, chunked like ingested cases."""
    options = options or IngestOptions()
    path = corpus_path(folder)
    cases: list[Case] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            raw = json.loads(line)
            doc_id = str(raw["_id"])
            text = str(raw.get("text") or "").strip()
            title = " ".join(str(raw.get("title") or "").replace("_", " ").split()) or doc_id
            if not text:
                continue
            lang = language_of(
                text,
                min_chars=options.lang_min_chars,
                reliable_chars=options.lang_reliable_chars,
            )
            spans = chunk_spans(
                text,
                0,
                len(text),
                target_words=options.chunk_words,
                max_words=options.max_chunk_words,
                overlap=options.overlap_sentences,
            )
            chunks = [
                Chunk(chunk_id(doc_id, i), s.start, s.end, None, lang) for i, s in enumerate(spans)
            ]
            cases.append(
                Case(
                    id=doc_id,
                    title=title,
                    text=text,
                    lang=lang,
                    source=str(path),
                    collection=Path(folder).name,
                    chunks=chunks,
                )
            )
    return cases


def prepare_beir_index(
    folder: Path,
    data_dir: Path,
    embedder: Embedder,
    options: IngestOptions | None = None,
    *,
    on_progress: Progress | None = None,
) -> Path:
    """The data directory holding an index of the folder's corpus (built on first use).

    Returns:
        ``<data_dir>/eval-cache/<fingerprint>``, ready for :meth:`Searcher.load`.
    """
    options = options or IngestOptions()
    target = Path(data_dir) / CACHE_DIRNAME / fingerprint(folder, embedder.model_id, options)
    if (index_dir(target) / MANIFEST).exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    cases = beir_cases(folder, options)
    build_index(cases, target, embedder, on_progress=on_progress)
    (target / "source.json").write_text(
        json.dumps({"beir_folder": str(Path(folder).resolve()), "cases": len(cases)}, indent=2),
        encoding="utf-8",
    )
    return target


def query_language_from_name(folder: Path) -> str | None:
    """``da`` for ``xquad-da-en`` or ``ntrex-title-da-en``: the first of a language pair."""
    match = _PAIR_IN_NAME.search(Path(folder).name.lower())
    return match.group(1) if match else None


def main_languages(case_languages: list[str], min_share: float = 0.05) -> list[str]:
    """Languages holding at least ``min_share`` of the cases (``unknown`` never counts).

    Detection mislabels the odd Danish paragraph as Norwegian or German; such strays must not
    become candidate languages for questions, or short Danish questions get read as Norwegian.
    """
    counts: dict[str, int] = {}
    for lang in case_languages:
        if lang != UNKNOWN:
            counts[lang] = counts.get(lang, 0) + 1
    total = sum(counts.values())
    return sorted(lang for lang, n in counts.items() if total and n / total >= min_share)


def load_beir_questions(folder: Path, corpus_languages: list[str]) -> QuestionSet:
    """A BEIR folder's questions with their language filled in.

    The language comes from the folder name when it names a pair (``xquad-da-en``: Danish
    questions); otherwise (``xquad-mixed``) from the same seeded langdetect reading of the
    question the searcher uses to gate BM25, taking the most likely of ``corpus_languages``
    (pass :func:`main_languages` of the cases).
    """
    qset = load_questions(folder)
    named = query_language_from_name(folder)
    filled = []
    for q in qset.questions:
        lang = q.lang or named
        if lang is None:
            probs = query_language_probabilities(q.text, corpus_languages)
            lang = max(probs, key=lambda k: probs[k]) if probs else UNKNOWN
        filled.append(Question(q.id, q.text, lang, q.split, q.need, q.metadata))
    return QuestionSet(qset.name, filled, qset.qrels, qset.folder)
