"""Choosing the quotes that stand for a group of statements.

A representative quote shares the group's most common words (its centre, measured
on content lemmas), one per participant, so a single talkative customer cannot fill
the evidence, and one per wording, so a stock answer many people gave ("Great service")
is quoted once; long rambles are trimmed with […].
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import Any, Sequence

MAX_QUOTE_CHARS = 260


def trim_quote(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " […]"


def representative(rows: list[dict[str, Any]], k: int = 3) -> list[dict[str, Any]]:
    """Up to k statements closest to the group's centre, at most one per participant."""
    if not rows:
        return []
    chosen = most_typical([row["id"] for row in rows],
                          [row.get("participant_id") or row.get("participant") for row in rows],
                          [row.get("lemmas") for row in rows], k)
    return [rows[index] for index in chosen]


def most_typical(ids: Sequence[int], people: Sequence[Any], lemmas: Sequence[str | None], k: int) -> list[int]:
    """`representative` over columns (positions of the chosen), for groups read straight from SQL.

    A statement's centrality is the mean frequency of its words in the group, damped for very
    short ones; ties go to the lower id. This reads every member once, so it is written with
    C-level building blocks: a big stage has tens of thousands of statements.
    """
    lemma_sets = [set(text.split()) if text else set() for text in lemmas]
    frequency = Counter(chain.from_iterable(lemma_sets))
    count = frequency.__getitem__
    order = []
    for index, words in enumerate(lemma_sets):
        size = len(words)
        centrality = sum(map(count, words)) / size * min(1.0, size / 4) if size else 0.0
        order.append((-centrality, ids[index], index))
    order.sort()
    chosen, seen, wordings = [], set(), set()
    for _, _, index in order:
        wording = lemmas[index]
        if people[index] in seen or (wording and wording in wordings):
            continue
        seen.add(people[index])
        wordings.add(wording)
        chosen.append(index)
        if len(chosen) == k:
            break
    return chosen


def display_text(text: str, redact: bool = False) -> str:
    """The text a report or export shows for a quote: trimmed, and redacted on request.

    Redaction (names, e-mails, phone and card numbers) lives in `voicemap.privacy`;
    the stored text is never changed.
    """
    text = trim_quote(text)
    if redact:
        from voicemap.privacy import redact_text

        text = redact_text(text)
    return text
