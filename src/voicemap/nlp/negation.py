"""Is a matched cue negated? Dependency scope when the parse exists, a window otherwise.

"The checkout was not confusing" negates `confusing` through its copula; "I couldn't
find it" negates `find` directly; "nobody answered" negates through the subject.
Without a parser we look a few tokens back within the same clause.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

NEGATION_WORDS = frozenset({"not", "n't", "never", "no", "nothing", "nobody", "none", "neither", "nor",
                            "without", "hardly", "barely", "cannot", "nowhere", "noone", "dont", "didnt",
                            "doesnt", "cant", "couldnt", "wont", "isnt", "wasnt", "havent", "hasnt"})
NEGATIVE_SUBJECTS = frozenset({"nobody", "nothing", "none", "noone"})
CLAUSE_BREAKS = frozenset({",", ";", ":", "but", "however", "although", "though", "yet", "and", "because", "so"})
WINDOW = 3


def _is_negator(token: Token) -> bool:
    return token.lower_ in NEGATION_WORDS or token.dep_ == "neg"


def _negated_by_parse(token: Token) -> bool:
    # The cue itself, its head when the cue is a complement (was not confusing),
    # and auxiliaries chained above it (could not be found).
    candidates = [token]
    if token.dep_ in ("acomp", "attr", "xcomp", "dobj", "pobj", "advmod", "amod", "oprd", "nsubjpass", "prt", "ccomp"):
        candidates.append(token.head)
        if token.dep_ in ("pobj", "amod") and token.head.head is not token.head:
            candidates.append(token.head.head)
    for candidate in candidates:
        for child in candidate.children:
            if child.dep_ == "neg" or (child.dep_ in ("det", "advmod", "nsubj", "nsubjpass") and child.lower_ in NEGATION_WORDS):
                if child.i < token.i or candidate is not token:
                    return True
    # "no delivery date", "no one answered": a determiner or preceding "no" on the token itself
    if token.i > 0 and token.doc[token.i - 1].lower_ in ("no", "never"):
        return True
    return False


def _negated_by_window(token: Token) -> bool:
    doc = token.doc
    for i in range(token.i - 1, max(-1, token.i - 1 - WINDOW), -1):
        word = doc[i]
        if word.lower_ in CLAUSE_BREAKS:
            return False
        if _is_negator(word):
            return True
    return False


def is_negated(span: Span) -> bool:
    """True when the cue span falls in the scope of a negation."""
    if span[0].i > 0 and _is_negator(span.doc[span[0].i - 1]) and not span[0].lower_ in NEGATION_WORDS:
        return True
    if any(tok.lower_ in NEGATION_WORDS for tok in span):
        return False  # the cue already contains its negation ("no way to", "won't let me")
    root = span.root
    if span.doc.has_annotation("DEP"):
        return _negated_by_parse(root) or _negated_by_window(span[0])
    return _negated_by_window(span[0])
