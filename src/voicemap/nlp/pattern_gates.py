"""Run a codebook label's token patterns only on statements that contain a word they require.

spaCy's Matcher tries every pattern at every token, and each `IN` list is a Python
predicate call per token: with the codebook's ~70 patterns that was most of the cue
component's time, although a given statement can match only a few of them. Nearly every
pattern has a token that must be present, tested on its lowercase form or lemma
(`{LEMMA = {IN = ["arrive", "come"]}}`). `GatedMatcher` keeps one spaCy Matcher per
pattern and runs it only when the statement has a word for every such token. The
matching itself is spaCy's: a pattern that is run finds exactly what it finds in one big
Matcher, and a skipped pattern could not have matched.

The gate itself must cost far less than the matching it saves, so it works on the
Doc's string ids (a word's id is the one spaCy stores on every token with that form, so
a word that is there is always found) and an index from each word to the patterns whose
rarest required token accepts it: a statement looks up its own words, not every pattern.

The Matcher's time grows with every token it starts from, so a pattern that is run
starts where a match can first start: a match's first required word token (its anchor)
is at or after the anchor word's first occurrence, and the tokens before the anchor in
the pattern span at most a known number of tokens. The Matcher runs over the Span from
there to the end of the Doc (its offsets moved back onto the Doc): every match starts
inside it and ends where it would anyway, so it finds the same matches in the same order.
"""

from __future__ import annotations

from typing import Any

from spacy.matcher import Matcher
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.vocab import Vocab

GATED_ATTRS = ("LOWER", "LEMMA")  # token attributes a word gate can read
Gate = list[frozenset[tuple[str, str]]]  # per required token, the (attribute, value) pairs one of which must occur
# A word's key in a gate: its string id for LOWER, shifted past every id (ids are 64-bit) for LEMMA.
LEMMA_KEY_OFFSET = 1 << 64


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


def _max_width(token: dict[str, Any]) -> int | None:
    """How many tokens this pattern token can cover at most (None: no bound)."""
    op = token.get("OP")
    if op in (None, "1", "?", "!"):  # "!" consumes exactly one token that does not match
        return 1
    if isinstance(op, str) and op.startswith("{") and op.endswith("}"):
        high = op[1:-1].split(",")[-1]
        return int(high) if high.isdecimal() else None
    return None  # "+", "*", or an operator this code does not know


def pattern_anchor(pattern: list[dict[str, Any]]) -> tuple[frozenset[tuple[str, str]], int] | None:
    """The words of the first required word token and how many tokens at most come before it in a match."""
    before = 0
    for token in pattern:
        words = _words(token) if _required(token) else None
        if words is not None:
            return words, before
        width = _max_width(token)
        if width is None:
            return None
        before += width
    return None


def pattern_gate(pattern: list[dict[str, Any]]) -> Gate:
    """For each token a match of `pattern` needs, the words it accepts (empty: it needs no particular word)."""
    return sorted((words for token in pattern if _required(token) and (words := _words(token)) is not None), key=len)


def word_key(attr: str, value: str) -> int:
    """The key `doc_keys` gives a token whose `attr` is `value`."""
    return get_string_id(value) + (LEMMA_KEY_OFFSET if attr == "LEMMA" else 0)


def doc_keys(doc: Doc) -> dict[int, int]:
    """Every key a gate can ask for (each token's LOWER id and its LEMMA id, offset) -> its first token."""
    first: dict[int, int] = {}
    for index in range(len(doc) - 1, -1, -1):  # backwards, so each key keeps its first position
        token = doc[index]
        first[token.lower] = index
        first[token.lemma + LEMMA_KEY_OFFSET] = index
    return first


class _GatedPattern:
    """One pattern's Matcher, the words it requires and where its matches can start."""

    __slots__ = ("matcher", "gate", "anchor", "before")

    def __init__(self, matcher: Matcher, pattern: list[dict[str, Any]]):
        self.matcher = matcher
        self.gate = [frozenset(word_key(attr, value) for attr, value in words) for words in pattern_gate(pattern)]
        anchor = pattern_anchor(pattern)
        self.anchor = frozenset(word_key(attr, value) for attr, value in anchor[0]) if anchor else None
        self.before = anchor[1] if anchor else 0

    def start(self, first: dict[int, int]) -> int:
        """The first token a match can start at, given where each word first occurs (the gate has passed)."""
        if self.anchor is None:
            return 0
        return max(0, min(first[key] for key in first.keys() & self.anchor) - self.before)

    def __call__(self, doc: Doc, first: dict[int, int]) -> list[tuple[int, int, int]]:
        start = self.start(first)
        if start == 0:
            return self.matcher(doc)
        return [(key, begin + start, end + start) for key, begin, end in self.matcher(doc[start:])]


class GatedMatcher:
    """spaCy Matchers, one per pattern, each run only when the Doc has a word for every token it requires."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self._patterns: list[_GatedPattern] = []  # in the order added: matches keep it
        self._by_key: dict[int, list[int]] = {}  # word key -> patterns whose first (rarest) requirement it meets
        self._ungated: list[int] = []  # patterns that require no particular word

    def add(self, label: str, patterns: list[list[dict[str, Any]]]) -> None:
        for pattern in patterns:
            matcher = Matcher(self.vocab)
            matcher.add(label, [pattern])
            gated = _GatedPattern(matcher, pattern)
            index = len(self._patterns)
            self._patterns.append(gated)
            if not gated.gate:
                self._ungated.append(index)
            for key in gated.gate[0] if gated.gate else ():
                self._by_key.setdefault(key, []).append(index)

    def __len__(self) -> int:
        return len(self._patterns)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        first = doc_keys(doc)
        present = first.keys()
        candidates = set(self._ungated)
        by_key = self._by_key
        for key in present:
            found = by_key.get(key)
            if found is not None:
                candidates.update(found)
        matches: list[tuple[int, int, int]] = []
        for index in sorted(candidates):
            gated = self._patterns[index]
            if all(not present.isdisjoint(required) for required in gated.gate):
                matches += gated(doc, first)
        return matches
