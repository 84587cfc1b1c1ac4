"""Split utterances into statements at sentence boundaries, merging tiny fragments.

Segmentation uses spaCy's rule-based sentencizer rather than the parser so it is
fast and, above all, stable: a statement's text (and so its tags) never depends on
which other utterances share the batch, and re-tagging later sees the same text.

Most survey answers and reviews are one sentence, and for those the sentencizer's
verdict is known before it runs: it starts a sentence only after a token that is one
of its `punct_chars`, at the next token that is not punctuation. A text holding none
of those characters except in a final run of ".", "!" and "?" (all punctuation), and
not ending in whitespace, is one sentence from its first character to its last, so
`_known_statements` hands it back whole without building a Doc. Anything else goes
through spaCy; tests/test_segment_fast_path.py proves both paths agree, on real data too.
"""

from __future__ import annotations

from collections import deque
from functools import cache
from typing import Iterable, Iterator

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from voicemap.domain import Statement

MIN_WORDS = 4  # "Yeah." or "Honestly?" cannot stand alone as evidence
FINAL_STOPS = ".!?"  # a final run of these closes the one sentence without opening another
_segmenter: Language | None = None


def _get_segmenter() -> Language:
    global _segmenter
    if _segmenter is None:
        _segmenter = spacy.blank("en")
        _segmenter.add_pipe("sentencizer")
    return _segmenter


@cache
def _sentence_chars() -> tuple[frozenset[str], tuple[str, ...]]:
    """The sentencizer's own punct_chars, and those of them that are ASCII."""
    punct_chars = frozenset(_get_segmenter().get_pipe("sentencizer").punct_chars)
    return punct_chars, tuple(char for char in punct_chars if char.isascii())


def _one_sentence(text: str) -> bool:
    """Whether the sentencizer provably sees `text` (not empty) as one sentence spanning all of it."""
    if text[-1].isspace():
        return False
    punct_chars, ascii_punct_chars = _sentence_chars()
    body = text.rstrip(FINAL_STOPS)
    if body.isascii():  # "." in body is a C search; most answers are plain ASCII
        return all(char not in body for char in ascii_punct_chars)
    return punct_chars.isdisjoint(body)


def _known_statements(text: str, index: int) -> list[Statement] | None:
    """The statements of a text whose split is known without spaCy, or None if spaCy must decide."""
    if not text or text.isspace():
        return []  # no sentence holds a word
    if _one_sentence(text):
        return [Statement(text=text, utterance_index=index, start=0, end=len(text))]
    return None


def _word_count(text: str) -> int:
    return sum(1 for part in text.split() if any(ch.isalnum() for ch in part))


def _merge_fragments(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Glue a too-short sentence to the next one (or the previous one at the end)."""
    merged: list[tuple[int, int]] = []
    pending_start: int | None = None
    for start, end in spans:
        if pending_start is not None:
            start, pending_start = pending_start, None
        if _word_count(text[start:end]) < MIN_WORDS:
            pending_start = start
            continue
        merged.append((start, end))
    if pending_start is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((pending_start, spans[-1][1]))
    return merged


def _doc_statements(doc: Doc, index: int) -> list[Statement]:
    """The statements of a Doc the sentencizer has split."""
    spans = [(s.start_char, s.end_char) for s in doc.sents if s.text.strip()]
    spans = [(a, b) for a, b in spans if any(ch.isalnum() for ch in doc.text[a:b])] or spans
    return [Statement(text=doc.text[start:end], utterance_index=index, start=start, end=end)
            for start, end in (_merge_fragments(spans, doc.text) if spans else [])]


def split_statements(texts: Iterable[str], batch_size: int = 256, gate: bool = True) -> Iterator[list[Statement]]:
    """For each utterance text, yield its statements with character offsets into that text.

    Every text still passes through `nlp.pipe`, in order, so the texts are read exactly as
    far ahead as before; one whose statements are already known goes as an empty
    placeholder Doc, which costs the pipeline about a microsecond. `gate=False` sends every
    text through spaCy (the reference the fast path is tested against).
    """
    nlp = _get_segmenter()
    placeholder = nlp.make_doc("")
    known: deque[list[Statement] | None] = deque()  # per text handed to spaCy: its statements, or None

    def for_spacy() -> Iterator[str | Doc]:
        for index, text in enumerate(texts):
            statements = _known_statements(text, index) if gate else None
            known.append(statements)
            yield text if statements is None else placeholder

    for index, doc in enumerate(nlp.pipe(for_spacy(), batch_size=batch_size)):
        statements = known.popleft()
        yield _doc_statements(doc, index) if statements is None else statements
