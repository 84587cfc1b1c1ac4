"""Split utterances into statements at sentence boundaries, merging tiny fragments.

Segmentation uses spaCy's rule-based sentencizer rather than the parser so it is
fast and, above all, stable: a statement's text (and so its tags) never depends on
which other utterances share the batch, and re-tagging later sees the same text.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import spacy
from spacy.language import Language

from voicemap.domain import Statement

MIN_WORDS = 4  # "Yeah." or "Honestly?" cannot stand alone as evidence
_segmenter: Language | None = None


def _get_segmenter() -> Language:
    global _segmenter
    if _segmenter is None:
        _segmenter = spacy.blank("en")
        _segmenter.add_pipe("sentencizer")
    return _segmenter


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


def split_statements(texts: Iterable[str], batch_size: int = 256) -> Iterator[list[Statement]]:
    """For each utterance text, yield its statements with character offsets into that text."""
    nlp = _get_segmenter()
    for index, doc in enumerate(nlp.pipe(texts, batch_size=batch_size)):
        spans = [(s.start_char, s.end_char) for s in doc.sents if s.text.strip()]
        spans = [(a, b) for a, b in spans if any(ch.isalnum() for ch in doc.text[a:b])] or spans
        statements = []
        for start, end in _merge_fragments(spans, doc.text) if spans else []:
            statements.append(Statement(text=doc.text[start:end], utterance_index=index, start=start, end=end))
        yield statements
