"""Choosing the quotes that stand for a group of statements.

A representative quote shares the group's most common words (its centre, measured
on content lemmas), one per participant, so a single talkative customer cannot fill
the evidence, and long rambles are trimmed with […].
"""

from __future__ import annotations

from collections import Counter
from typing import Any

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
    lemma_sets = [set((row.get("lemmas") or "").split()) for row in rows]
    frequency = Counter(lemma for lemmas in lemma_sets for lemma in lemmas)

    def centrality(index: int) -> float:
        lemmas = lemma_sets[index]
        if not lemmas:
            return 0.0
        # Mean frequency of a statement's words in the group, damped for very short ones.
        return sum(frequency[lemma] for lemma in lemmas) / len(lemmas) * min(1.0, len(lemmas) / 4)

    order = sorted(range(len(rows)), key=lambda i: (-centrality(i), rows[i]["id"]))
    chosen, seen = [], set()
    for index in order:
        who = rows[index].get("participant_id") or rows[index].get("participant")
        if who in seen:
            continue
        seen.add(who)
        chosen.append(rows[index])
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
