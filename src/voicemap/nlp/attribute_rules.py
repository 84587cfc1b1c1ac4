"""Apply en_core_web_sm's attribute_ruler exceptions by table look-up instead of the Matcher.

The model's `attribute_ruler` maps fine-grained tags to POS and morphology with 179
one- or two-token patterns. spaCy runs them through its general `Matcher`, which
measured ~2,000 statements/s here: as slow as tok2vec, half the time of a pipeline
without the parser (docs/performance.md). Every one of those patterns is a fixed
sequence of tokens with plain equality / IN / NOT_IN tests, so the same matches can be
found with a dictionary keyed on the tag (or the lowercase word) of each token.

`speed_up_attribute_ruler` swaps only the ruler's `match` step; the ruler's own
`set_annotations` still writes the attributes, in the same order (later rules win).
If any pattern uses something this module does not understand (operators, regexes,
other attributes), the ruler is left exactly as spaCy built it. Tests compare the
annotations of both on thousands of statements.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Callable

from spacy.language import Language
from spacy.tokens import Doc, Token

# Token attributes a compiled pattern may test, read the way spaCy's Matcher reads them.
READERS: dict[str, Callable[[Token], Any]] = {
    "TAG": lambda t: t.tag_, "LOWER": lambda t: t.lower_, "ORTH": lambda t: t.orth_, "TEXT": lambda t: t.orth_,
    "DEP": lambda t: t.dep_, "POS": lambda t: t.pos_, "NORM": lambda t: t.norm_, "LEMMA": lambda t: t.lemma_,
    "IS_SPACE": lambda t: t.is_space, "IS_PUNCT": lambda t: t.is_punct, "IS_ALPHA": lambda t: t.is_alpha,
    "IS_DIGIT": lambda t: t.is_digit, "LENGTH": lambda t: len(t),
}
SET_TESTS = ("IN", "NOT_IN", "REGEX")

Check = tuple[Callable[[Token], Any], str, Any]  # (reader, "eq" | "in" | "not_in" | "regex", value)


def _compile_token(spec: dict[str, Any]) -> list[Check] | None:
    checks: list[Check] = []
    for attr, value in spec.items():
        reader = READERS.get(attr.upper())
        if reader is None:
            return None
        if isinstance(value, dict):
            if not value or any(key not in SET_TESTS for key in value):
                return None
            for key, items in value.items():
                if key == "REGEX" and isinstance(items, str):
                    checks.append((reader, "regex", re.compile(items)))  # spaCy's REGEX is re.search
                    continue
                if not isinstance(items, (list, tuple)) or any(isinstance(i, dict) for i in items):
                    return None
                checks.append((reader, key.lower(), frozenset(items)))
        elif isinstance(value, (str, bool, int)):
            checks.append((reader, "eq", value))
        else:
            return None
    return checks


def _passes(token: Token, checks: list[Check]) -> bool:
    for reader, test, value in checks:
        found = reader(token)
        if test == "eq":
            if found != value:
                return False
        elif test == "in":
            if found not in value:
                return False
        elif test == "regex":
            if not isinstance(found, str) or not value.search(found):
                return False
        elif found in value:  # not_in
            return False
    return True


class CompiledRuleMatch:
    """`AttributeRuler.match` for fixed-length patterns, indexed by each token's tag or word."""

    def __init__(self, by_tag, by_lower, unindexed, match_ids):
        self.by_tag = by_tag
        self.by_lower = by_lower
        self.unindexed = unindexed
        self.match_ids = match_ids

    @classmethod
    def from_ruler(cls, ruler) -> "CompiledRuleMatch | None":
        by_tag: dict[str, list] = defaultdict(list)
        by_lower: dict[str, list] = defaultdict(list)
        unindexed: list = []
        match_ids = {}
        for attr_id, entry in enumerate(ruler.patterns):
            match_ids[attr_id] = ruler.vocab.strings[str(attr_id)]
            for pattern in entry["patterns"]:
                if not isinstance(pattern, list) or not pattern:
                    return None  # a phrase (Doc) pattern or an empty one
                compiled = [_compile_token(spec) for spec in pattern]
                if any(c is None for c in compiled):
                    return None
                rule = (attr_id, compiled)
                first = {k.upper(): v for k, v in pattern[0].items()}
                if isinstance(first.get("TAG"), str):
                    by_tag[first["TAG"]].append(rule)
                elif isinstance(first.get("LOWER"), str):
                    by_lower[first["LOWER"]].append(rule)
                else:
                    unindexed.append(rule)
        return cls(dict(by_tag), dict(by_lower), unindexed, match_ids)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        matches = []
        length = len(doc)
        for i, token in enumerate(doc):
            candidates = self.by_tag.get(token.tag_, ()), self.by_lower.get(token.lower_, ()), self.unindexed
            for rules in candidates:
                for attr_id, compiled in rules:
                    end = i + len(compiled)
                    if end > length:
                        continue
                    if all(_passes(doc[i + k], checks) for k, checks in enumerate(compiled)):
                        matches.append((attr_id, self.match_ids[attr_id], i, end))
        matches.sort()
        return matches


def speed_up_attribute_ruler(nlp: Language, name: str = "attribute_ruler") -> bool:
    """Replace the ruler's matching with the compiled look-up; False if left unchanged."""
    if name not in nlp.pipe_names:
        return False
    ruler = nlp.get_pipe(name)
    if not hasattr(ruler, "patterns") or not hasattr(ruler, "set_annotations"):
        return False
    compiled = CompiledRuleMatch.from_ruler(ruler)
    if compiled is None:
        return False
    ruler.match = compiled
    return True
