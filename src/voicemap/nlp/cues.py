"""The `voicemap/cues` component: find every codebook cue in a Doc, once.

All later decisions (stage, touchpoint, emotion, pain) read the cues this component
stores (`doc._.voicemap_cues`: label, start, end of each, labelled `dimension:code`,
read through `cue_list.py`), so cue matching happens in one pass and every tag can
point at the words that triggered it; `doc._.voicemap_cue_spans` gives them as labelled
Spans. Cue phrases match on the lowercase form and on the lemma, so "crash" finds
"crashed"; the codebook's token patterns run through spaCy's Matcher, a label's patterns
only on statements holding a word they require (`pattern_gates.py`).
"""

from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from voicemap.codebook import Codebook, load_codebook
from voicemap.nlp.cue_list import Cue, CueList, cue_list, cues, store_cues
from voicemap.nlp.pattern_gates import GatedMatcher

# [pain] lists that are not complaint families: read by the contrast and hedge logic, or by negation.
NOT_PAIN_FAMILIES = ("contrast", "hedges", "negations")
# The cue records (cue_list.py) can be read from here too.
__all__ = ["Cue", "CueList", "CueMatcher", "cached_codebook", "cue_list", "cues", "make_cue_matcher"]


@lru_cache(maxsize=8)
def cached_codebook(path: str) -> Codebook:
    return load_codebook(path or None)


def _cue_table(codebook: Codebook) -> dict[str, list[str]]:
    """label -> cue phrases, for every dimension the components read."""
    table: dict[str, list[str]] = {}
    for dimension in ("stage", "touchpoint", "emotion", "pain_category"):
        for code in codebook.codes(dimension):
            table[f"{dimension}:{code.id}"] = code.cues
            if code.implicit_cues:
                table[f"emotion_implicit:{code.id}"] = code.implicit_cues
            if code.negated_cues:
                table[f"pain_negated:{code.id}"] = code.negated_cues
    for family, phrases in codebook.pain.items():
        if family not in NOT_PAIN_FAMILIES:
            table[f"pain:{family}"] = phrases
    table["contrast"] = codebook.pain.get("contrast", ["but", "however", "although", "though"])
    table["hedge"] = codebook.pain.get("hedges", [])
    return table


def _needs_tagger(token: dict) -> bool:
    return any(key.upper() in ("POS", "TAG", "MORPH", "DEP") for key in token)


def _lemmas_as_words(pattern: list[dict]) -> list[dict]:
    """Without a lemmatizer, a LEMMA test can only match the base form as written."""
    return [{("LOWER" if key.upper() == "LEMMA" else key): value for key, value in token.items()} for token in pattern]


class CueMatcher:
    """Finds codebook cues: phrases on lowercase and lemma, token patterns; negation is read lazily."""

    def __init__(self, nlp: Language, name: str, codebook_path: str):
        self.name = name
        self.codebook = cached_codebook(codebook_path)
        self.lower_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        # Patterns that test part of speech need a tagger; a blank pipeline uses only the others.
        self.untagged_matcher = GatedMatcher(nlp.vocab)
        self.lemma_matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.token_matcher = GatedMatcher(nlp.vocab)
        self.use_lemmas = "lemmatizer" in nlp.pipe_names
        self.labels: dict[int, str] = {}
        for label, phrases in _cue_table(self.codebook).items():
            phrases = sorted({p.strip().lower() for p in phrases if p.strip()})
            if not phrases:
                continue
            lower_docs = list(nlp.tokenizer.pipe(phrases))
            # Cues are written in base form, so the cue's own words are its lemmas.
            lemma_docs = [Doc(nlp.vocab, words=[t.text for t in d], lemmas=[t.text for t in d]) for d in lower_docs]
            self.lower_matcher.add(label, lower_docs)
            self.lemma_matcher.add(label, lemma_docs)
            self.labels[nlp.vocab.strings.add(label)] = label
        labelled_patterns = [(f"{dimension}:{code.id}", code.patterns) for dimension in
                             ("stage", "touchpoint", "emotion", "pain_category")
                             for code in self.codebook.codes(dimension) if code.patterns]
        labelled_patterns += [(f"pain:{family}", patterns) for family, patterns in self.codebook.pain_patterns.items()
                              if patterns]
        for label, patterns in labelled_patterns:
            self.labels[nlp.vocab.strings.add(label)] = label
            self.token_matcher.add(label, patterns)
            untagged = [p for p in patterns if not any(_needs_tagger(token) for token in p)]
            if not self.use_lemmas:
                untagged = [_lemmas_as_words(p) for p in untagged]
            if untagged:
                self.untagged_matcher.add(label, untagged)

    def __call__(self, doc: Doc) -> Doc:
        matches = self.lower_matcher(doc)
        matcher = self.token_matcher if doc.has_annotation("TAG") or doc.has_annotation("POS") else self.untagged_matcher
        if len(matcher):
            matches += matcher(doc)
        if self.use_lemmas:
            matches += self.lemma_matcher(doc)
        seen: set[tuple[int, int, int]] = set()
        found: list = []  # label, start, end, label, start, end, ...
        labels = self.labels
        for match in sorted(matches, key=lambda m: (m[1], -m[2])):
            if match not in seen:
                seen.add(match)
                found += (labels[match[0]], match[1], match[2])
        store_cues(doc, found)
        return doc


@Language.factory("voicemap/cues", default_config={"codebook_path": ""})
def make_cue_matcher(nlp: Language, name: str, codebook_path: str) -> CueMatcher:
    return CueMatcher(nlp, name, codebook_path)
