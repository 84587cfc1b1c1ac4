"""Apply en_core_web_sm's attribute_ruler exceptions by table look-up instead of the Matcher.

The model's `attribute_ruler` maps fine-grained tags to POS and morphology with 179
one- or two-token patterns. spaCy runs them through its general `Matcher`, which
measured ~2,000 statements/s here: as slow as tok2vec, half the time of a pipeline
without the parser (docs/performance.md). Every one of those patterns is a fixed
sequence of tokens with plain equality, IN, NOT_IN or REGEX tests, so the same matches
can be found with a dictionary keyed on the word, tag or dependency of the first token.

`speed_up_attribute_ruler` swaps only the ruler's `match` step; the ruler's own
`set_annotations` still writes the attributes, in the same order (later rules win).
If any pattern uses something this module does not understand (operators, other
attributes), the ruler is left exactly as spaCy built it. A test compares its
matches with the Matcher's on the sample study; on 5,600 statements (the benchmark
corpus and the sample study) the annotations of both were identical, with and
without the parser.
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

Check = tuple[str, str, Any]  # (attribute, "eq" | "in" | "not_in" | "regex", value)


def _compile_token(spec: dict[str, Any]) -> list[Check] | None:
    checks: list[Check] = []
    for attr, value in spec.items():
        attr = attr.upper()
        if attr not in READERS:
            return None
        if isinstance(value, dict):
            if not value or any(key not in SET_TESTS for key in value):
                return None
            for key, items in value.items():
                if key == "REGEX" and isinstance(items, str):
                    checks.append((attr, "regex", re.compile(items)))  # spaCy's REGEX is re.search
                    continue
                if not isinstance(items, (list, tuple)) or any(isinstance(i, dict) for i in items):
                    return None
                checks.append((attr, key.lower(), frozenset(items)))
        elif isinstance(value, (str, bool, int)):
            checks.append((attr, "eq", value))
        else:
            return None
    return checks


def _passes(columns: dict[str, list], i: int, checks: list[Check]) -> bool:
    for attr, test, value in checks:
        found = columns[attr][i]
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


# Which attribute of a pattern's first token to index it by, most selective first.
INDEX_ORDER = ("LOWER", "ORTH", "TAG", "DEP", "IS_SPACE")
CACHE_LIMIT = 200_000  # distinct first-token combinations remembered before starting afresh


def _index_keys(first: dict[str, Any]) -> list[tuple[str, Any]] | None:
    """The (attribute, value) keys under which a token must be listed to possibly match."""
    for attr in INDEX_ORDER:
        value = first.get(attr)
        if isinstance(value, (str, bool)):
            return [(attr, value)]
        if isinstance(value, dict) and set(value) == {"IN"}:
            return [(attr, item) for item in value["IN"]]
    return None


class CompiledRuleMatch:
    """`AttributeRuler.match` for fixed-length patterns, indexed by the first token's word or tag."""

    def __init__(self, index, unindexed, match_ids):
        self.index = index
        self.unindexed = unindexed
        self.match_ids = match_ids
        self.index_attrs = sorted({attr for attr, _ in index}, key=INDEX_ORDER.index)
        rules = [rule for group in (*index.values(), unindexed) for rule in group]
        used = {check[0] for _, compiled in rules for checks in compiled for check in checks}
        self.readers = {attr: READERS[attr] for attr in sorted(used | set(self.index_attrs))}
        # Rules whose first token passes depend only on that token's values of these attributes,
        # so the answer is remembered per distinct combination (words repeat a lot).
        self.first_attrs = sorted({check[0] for _, compiled in rules for check in compiled[0]} | set(self.index_attrs))
        self._first_cache: dict[tuple, list] = {}

    def _first_token_rules(self, columns: dict[str, list], i: int, key: tuple) -> list:
        found = self._first_cache.get(key)
        if found is None:
            candidates = list(self.unindexed)
            for attr in self.index_attrs:
                candidates.extend(self.index.get((attr, columns[attr][i]), ()))
            found = [(attr_id, compiled) for attr_id, compiled in candidates if _passes(columns, i, compiled[0])]
            if len(self._first_cache) > CACHE_LIMIT:
                self._first_cache.clear()
            self._first_cache[key] = found
        return found

    @classmethod
    def from_ruler(cls, ruler) -> "CompiledRuleMatch | None":
        index: dict[tuple[str, Any], list] = defaultdict(list)
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
                keys = _index_keys({k.upper(): v for k, v in pattern[0].items()})
                for key in keys or []:
                    index[key].append((attr_id, compiled))
                if keys is None:
                    unindexed.append((attr_id, compiled))
        return cls(dict(index), unindexed, match_ids)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        tokens = list(doc)
        length = len(tokens)
        if not length or not self.first_attrs:
            return []
        # Read each attribute of each token once; the rules then compare plain Python values.
        columns = {attr: [read(t) for t in tokens] for attr, read in self.readers.items()}
        keys = list(zip(*(columns[attr] for attr in self.first_attrs)))
        matches = []
        for i in range(length):
            for attr_id, compiled in self._first_token_rules(columns, i, keys[i]):
                end = i + len(compiled)
                if end <= length and all(_passes(columns, i + k, compiled[k]) for k in range(1, len(compiled))):
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
