"""Which stored statements a changed cue phrase or pattern could match, without tagging them.

A cue matches a statement when each of its tokens equals a token's lowercase form or
its lemma. So a statement can only match if every word of the cue is in its text, or
among its stored content lemmas (`statements.lemmas`), or spelled as one of the few
forms whose lemma is neither (stop words and contractions: "was" -> "be", "'d" ->
"would", "ca" -> "can"). Those forms are read from the tagger's own lemmatizer and
attribute ruler, so the test is a superset of what the tagger would match: it may pick
a statement the change does not affect, never miss one. Token patterns are read the
same way through their required tokens that name words.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any, Iterable

ANCHOR_ATTRS = ("LOWER", "ORTH", "TEXT", "LEMMA")
REQUIRED_OPS = (None, "+")  # a token with "?", "*", "!" or a count may be absent
POS_TAGS = ("NOUN", "VERB", "ADJ", "ADV", "AUX", "PRON", "PROPN", "DET", "ADP", "NUM", "PART", "CCONJ", "SCONJ",
            "INTJ", "X")


@dataclass(frozen=True)
class Word:
    """One token of a cue: present when any substring is in the lowercased text, or a lemma is stored."""

    substrings: frozenset[str]
    lemmas: frozenset[str] = frozenset()
    patterns: frozenset[str] = frozenset()  # regular expressions (from the attribute ruler's REGEX rules)

    def __or__(self, other: "Word") -> "Word":
        return Word(self.substrings | other.substrings, self.lemmas | other.lemmas, self.patterns | other.patterns)

    def found(self, lower: str, lemmas: set[str]) -> bool:
        return (any(s in lower for s in self.substrings) or not self.lemmas.isdisjoint(lemmas)
                or any(re.search(p, lower) for p in self.patterns))


@dataclass
class Anchors:
    """Cues as conjunctions of words: a statement is a candidate when every word of some cue is found."""

    cues: set[tuple[Word, ...]] = field(default_factory=set)  # words sorted most selective first
    everything: str | None = None  # set when some change cannot be narrowed down: why

    def add(self, other: "Anchors") -> None:
        self.cues |= other.cues
        self.everything = self.everything or other.everything

    def __bool__(self) -> bool:
        return bool(self.cues or self.everything)


def _unstored(surface: str, stop_words: set[str]) -> bool:
    """A token the stored content lemmas leave out: a stop word, short, or not purely letters."""
    return len(surface) <= 2 or surface.lower() in stop_words or not surface.isalpha()


def _risky_surfaces(nlp) -> set[str]:
    """Forms whose lemma the stored data may not show: stop words, contraction pieces, every 1–2 letter word."""
    surfaces = {w.lower() for w in nlp.Defaults.stop_words}
    for pieces in getattr(nlp.tokenizer, "rules", {}).values():
        for piece in pieces:
            text = piece.get(65, piece.get("ORTH")) if isinstance(piece, dict) else None  # 65: spaCy's ORTH id
            if isinstance(text, str) and text:
                surfaces.add(text.lower())
    letters = string.ascii_lowercase
    surfaces |= set(letters) | {a + b for a in letters for b in letters}
    return surfaces


def _ruler_pairs(nlp) -> Iterable[tuple[str, str, bool]]:
    """(surface or regex, lemma, is_regex) for every lemma the attribute ruler assigns."""
    if "attribute_ruler" not in nlp.pipe_names:
        return
    for rule in nlp.get_pipe("attribute_ruler").patterns:
        lemma = rule.get("attrs", {}).get("LEMMA")
        if not isinstance(lemma, str):
            continue
        for pattern in rule.get("patterns", []):
            index = rule.get("index", 0)
            if not pattern or not -len(pattern) <= index < len(pattern):
                continue
            for attr, value in pattern[index].items():
                if attr.upper() not in ("LOWER", "ORTH", "TEXT", "NORM"):
                    continue
                if isinstance(value, str):
                    yield value, lemma, False
                elif isinstance(value, dict):
                    for item in value.get("IN", []):
                        yield str(item), lemma, False
                    if isinstance(value.get("REGEX"), str):
                        yield value["REGEX"], lemma, True


def lemma_variants(nlp) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """lemma -> forms (and regexes) of tokens with that lemma that neither contain it nor are stored as content."""
    from spacy.tokens import Doc

    stop_words = {w.lower() for w in nlp.Defaults.stop_words}
    pairs: set[tuple[str, str]] = set()
    regexes: dict[str, set[str]] = {}
    if "lemmatizer" in nlp.pipe_names:
        lemmatizer = nlp.get_pipe("lemmatizer")
        surfaces = _risky_surfaces(nlp)
        if getattr(lemmatizer, "mode", "") == "lookup":
            table = lemmatizer.lookups.get_table("lemma_lookup", {})
            for surface in surfaces:
                for form in {surface, surface.capitalize(), surface.upper()}:
                    pairs.add((form, table.get(form, form)))
        elif getattr(lemmatizer, "mode", "") == "rule":
            for surface in surfaces:
                for pos in POS_TAGS:
                    doc = Doc(nlp.vocab, words=[surface])
                    doc[0].pos_ = pos
                    pairs.update((surface, lemma) for lemma in lemmatizer.rule_lemmatize(doc[0]))
            exceptions = lemmatizer.lookups.get_table("lemma_exc", {})
            for pos in POS_TAGS:
                for surface, lemmas in (exceptions.get(pos.lower(), {}) or {}).items():
                    if _unstored(surface, stop_words):
                        pairs.update((surface, lemma) for lemma in lemmas)
    for surface, lemma, is_regex in _ruler_pairs(nlp):
        if is_regex:
            regexes.setdefault(lemma.lower(), set()).add(surface.removeprefix("^").removesuffix("$"))
        else:
            pairs.add((surface, lemma))
    variants: dict[str, set[str]] = {}
    for surface, lemma in pairs:
        surface, lemma = surface.lower(), lemma.lower()
        if lemma and lemma not in surface:
            variants.setdefault(lemma, set()).add(surface)
    return variants, regexes


class AnchorFinder:
    """Anchors for cue phrases and token patterns, with the tagger's tokenizer and lemma forms."""

    def __init__(self, nlp):
        self.tokenizer = nlp.tokenizer
        self.stop_words = {w.lower() for w in nlp.Defaults.stop_words}
        self.variants, self.regexes = lemma_variants(nlp)

    def _word(self, word: str, lemma_too: bool) -> Word:
        word = word.lower()
        if not lemma_too:
            return Word(frozenset({word}))
        return Word(frozenset({word} | self.variants.get(word, set())), frozenset({word}),
                    frozenset(self.regexes.get(word, set())))

    def _cost(self, word: Word) -> tuple:
        """Content words select fewer statements than stop words or contractions; then fewer, longer alternatives."""
        common = any(_unstored(s, self.stop_words) for s in word.substrings)
        shortest = min((len(s) for s in word.substrings), default=0)
        return (len(word.patterns), common, len(word.substrings) + len(word.lemmas), -shortest, sorted(word.substrings))

    def _cue(self, words: list[Word]) -> Anchors:
        return Anchors(cues={tuple(sorted(set(words), key=self._cost))}) if words else Anchors()

    def phrase(self, phrase: str) -> Anchors:
        """A cue phrase matches each token on its lowercase form or its lemma."""
        return self._cue([self._word(token.lower_, lemma_too=True) for token in self.tokenizer(phrase.strip().lower())
                          if token.lower_.strip()])

    def pattern(self, pattern: list[dict[str, Any]], label: str) -> Anchors:
        """A token pattern, through its required tokens that name words; with none it may match anything."""
        words = []
        for token in pattern:
            spec = {str(key).upper(): value for key, value in token.items()}
            if spec.get("OP") not in REQUIRED_OPS:
                continue
            for attr in ANCHOR_ATTRS:
                value = spec.get(attr)
                named = [value] if isinstance(value, str) else (
                    value.get("IN") if isinstance(value, dict) and isinstance(value.get("IN"), list) else None)
                if named and all(isinstance(w, str) for w in named):
                    alternatives = [self._word(w, lemma_too=attr == "LEMMA") for w in named]
                    word = alternatives[0]
                    for other in alternatives[1:]:
                        word = word | other
                    words.append(word)
        if not words:
            return Anchors(everything=f"a pattern of {label} names no word, so it may match any statement")
        return self._cue(words)


def _trie_regex(words: Iterable[str]) -> re.Pattern:
    """One regular expression finding any of many strings, scanning the text once (a trie of alternatives)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        if "" in node:
            return ""  # a shorter word already ends here: enough to be found
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return re.compile(build(trie)) if trie else re.compile(r"(?!)")


def matching_statements(db, anchors: Anchors, batch: int = 5000) -> set[int]:
    """Ids of statements in which every word of some cue is found (one pass over the study)."""
    if not anchors.cues:
        return set()
    cues = sorted(anchors.cues, key=len)
    first = [cue[0] for cue in cues]  # each cue's most selective word: a quick test before the whole cue
    quick = _trie_regex({s for word in first for s in word.substrings})
    quick_lemmas = {lemma for word in first for lemma in word.lemmas}
    quick_patterns = [re.compile(p) for word in first for p in word.patterns]
    found: set[int] = set()
    last = 0
    while True:
        rows = db.execute("select id, text, lemmas from statements where id > ? order by id limit ?",
                          [last, batch]).fetchall()
        if not rows:
            return found
        for statement_id, text, stored in rows:
            lower = (text or "").lower()
            lemmas = set(stored.split()) if stored else set()
            if not (quick.search(lower) or not quick_lemmas.isdisjoint(lemmas)
                    or any(p.search(lower) for p in quick_patterns)):
                continue
            if any(all(word.found(lower, lemmas) for word in cue) for cue in cues):
                found.add(statement_id)
        last = rows[-1][0]
