"""Run a codebook label's token patterns only on statements that contain a word they require.

spaCy's Matcher tries every pattern at every token, and each `IN` list is a Python
predicate call per token: with the codebook's ~70 patterns that was most of the cue
component's time, although a given statement can match only a few of them. Nearly every
pattern has a token that must be present, tested on its lowercase form or lemma
(`{LEMMA = {IN = ["arrive", "come"]}}`). `GatedMatcher` keeps one spaCy Matcher per
pattern and runs it only when the statement has a word for every such token. The
matching itself is spaCy's: a pattern that is run finds exactly what it finds in one big
Matcher, and a skipped pattern could not have matched.
"""

from __future__ import annotations

from typing import Any

from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

GATED_ATTRS = ("LOWER", "LEMMA")  # token attributes a word gate can read
Gate = list[frozenset[tuple[str, str]]]  # per required token, the (attribute, value) pairs one of which must occur


def _required(token: dict[str, Any]) -> bool:
    """Whether the pattern token must match at least once (not ?, *, ! or {0,...})."""
    op = token.get("OP")
    if op in (None, "1", "+"):
        return True
    if isinstance(op, str) and op.startswith("{") and op.endswith("}"):
        low = op[1:-1].split(",")[0]
        return low.isdecimal() and int(low) > 0
    return False


def _words(token: dict[str, Any]) -> frozenset[tuple[str, str]] | None:
    """The (attribute, value) pairs one of which this token needs, or None if it tests no word."""
    best: frozenset[tuple[str, str]] | None = None
    for key, value in token.items():
        attr = key.upper()
        if attr not in GATED_ATTRS:
            continue
        if isinstance(value, str):
            words = frozenset({(attr, value)})
        elif isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
            words = frozenset((attr, v) for v in value["IN"])
        else:
            continue
        if best is None or len(words) < len(best):
            best = words
    return best


def pattern_gate(pattern: list[dict[str, Any]]) -> Gate:
    """For each token a match of `pattern` needs, the words it accepts (empty: it needs no particular word)."""
    return sorted((words for token in pattern if _required(token) and (words := _words(token)) is not None), key=len)


def doc_words(doc: Doc) -> set[tuple[str, str]]:
    """Every (attribute, value) a gate can ask for, for this Doc."""
    words = {("LOWER", token.lower_) for token in doc}
    words.update(("LEMMA", token.lemma_) for token in doc)
    return words


class GatedMatcher:
    """spaCy Matchers, one per pattern, each run only when the Doc has a word for every token it requires."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self._patterns: list[tuple[Matcher, Gate]] = []

    def add(self, label: str, patterns: list[list[dict[str, Any]]]) -> None:
        for pattern in patterns:
            matcher = Matcher(self.vocab)
            matcher.add(label, [pattern])
            self._patterns.append((matcher, pattern_gate(pattern)))

    def __len__(self) -> int:
        return len(self._patterns)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        words = doc_words(doc)
        matches: list[tuple[int, int, int]] = []
        for matcher, gate in self._patterns:
            if all(not required.isdisjoint(words) for required in gate):
                matches += matcher(doc)
        return matches
