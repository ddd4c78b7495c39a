"""Sentences and chunks: Danish abbreviations, sizes, overlap and offsets."""

from __future__ import annotations

import itertools

from casesearch.ingest.chunking import chunk_spans
from casesearch.ingest.sentences import sentence_spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def test_danish_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Kommunen inddrog bl.a. unge, ældre og fx. foreninger. Det gav f.eks. nye ideer, "
        "jf. rapporten. Projektet kostede ca. 2 mio. kr. i alt. Se også e.g. the report."
    )
    assert sentences(text) == [
        "Kommunen inddrog bl.a. unge, ældre og fx. foreninger.",
        "Det gav f.eks. nye ideer, jf. rapporten.",
        "Projektet kostede ca. 2 mio. kr. i alt.",
        "Se også e.g. the report.",
    ]


def test_lines_are_sentence_boundaries() -> None:
    assert sentences("• First item\n• Second item\nA question? Yes!") == [
        "• First item",
        "• Second item",
        "A question?",
        "Yes!",
    ]


def test_chunks_follow_sentences_and_overlap_by_one() -> None:
    sentence = "This sentence has exactly ten words in it, you see. "
    text = (sentence * 40).strip()
    spans = chunk_spans(text, 0, len(text), target_words=50, max_words=80, overlap=1)
    assert len(spans) > 5
    for a, b in itertools.pairwise(spans):
        chunk = text[a.start : a.end]
        assert chunk.endswith("you see.")
        assert 50 <= len(chunk.split()) <= 80
        assert b.start < a.end  # one sentence of overlap
        assert text[b.start : a.end] == sentence.strip()
    assert spans[-1].end == len(text)


def test_long_sentence_is_cut_by_words() -> None:
    text = " ".join(f"ord{i}" for i in range(500))
    spans = chunk_spans(text, 0, len(text), target_words=150, max_words=200)
    assert all(len(text[s.start : s.end].split()) <= 200 for s in spans)
    covered = " ".join(text[s.start : s.end] for s in spans).split()
    assert set(covered) == set(text.split())


def test_chunks_stay_inside_the_span() -> None:
    text = "Intro. " * 5 + "Middle part here. " * 30 + "Outro. " * 5
    start = text.index("Middle")
    end = text.rindex("here.") + len("here.")
    spans = chunk_spans(text, start, end, target_words=20, max_words=40)
    assert spans[0].start == start and spans[-1].end == end
    assert all(start <= s.start < s.end <= end for s in spans)
