"""Is a matched cue negated? Dependency scope when the parse exists, a window otherwise.

"The checkout was not confusing" negates `confusing` through its copula; "I couldn't
find it" negates `find` directly; "nobody answered" negates through the subject; "never
had an issue" negates the object through its verb. A negator only reaches forward and
never across a sentence or clause break, so "worst service ever. never again" keeps
"worst". Without a parser we look a few tokens back within the same clause.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

NEGATION_WORDS = frozenset({"not", "n't", "n’t", "never", "no", "nothing", "nobody", "none", "neither", "nor",
                            "without", "hardly", "barely", "cannot", "nowhere", "noone", "dont", "didnt",
                            "doesnt", "cant", "couldnt", "wont", "isnt", "wasnt", "havent", "hasnt", "aint"})
CLAUSE_BREAKS = frozenset({",", ";", ":", ".", "!", "?", "but", "however", "although", "though", "yet", "and",
                           "because", "so", "which", "who", "that", "-", "–", "—"})
COMPLEMENT_DEPS = frozenset({"acomp", "attr", "xcomp", "dobj", "pobj", "advmod", "amod", "oprd", "nsubjpass", "prt",
                             "npadvmod", "conj"})
NEGATING_CHILD_DEPS = frozenset({"det", "advmod", "nsubj", "nsubjpass", "npadvmod", "dobj"})
WINDOW = 3
# "Nothing staff are excellent" (a survey answer missing its comma): a negating pronoun
# only reaches the word right after it unless the parse links them ("nothing works").
PRONOUN_NEGATORS = frozenset({"nothing", "nobody", "none", "noone", "nowhere", "neither"})


def _is_negator(token: Token) -> bool:
    return token.lower_ in NEGATION_WORDS or token.dep_ == "neg"


def _negated_by_parse(token: Token, first: int) -> bool:
    # The cue itself, its head when the cue is a complement (was not confusing),
    # and the head's head for prepositional objects (no sign of the parcel).
    candidates = [token]
    if token.dep_ in COMPLEMENT_DEPS and token.head is not token:
        candidates.append(token.head)
        if token.dep_ in ("pobj", "amod", "conj") and token.head.head is not token.head:
            candidates.append(token.head.head)
    sentence_start = token.sent.start if token.doc.has_annotation("SENT_START") else 0
    for candidate in candidates:
        for child in candidate.children:
            if not (sentence_start <= child.i < first):
                continue  # negation reaches forward, within the sentence
            if child.dep_ == "neg" or (child.dep_ in NEGATING_CHILD_DEPS and child.lower_ in NEGATION_WORDS):
                return True
    return False


def _negated_by_window(first: Token) -> bool:
    doc = first.doc
    for i in range(first.i - 1, max(-1, first.i - 1 - WINDOW), -1):
        word = doc[i]
        if word.lower_ in CLAUSE_BREAKS:
            return False
        if _is_negator(word) and (word.lower_ not in PRONOUN_NEGATORS or i == first.i - 1):
            return True
    return False


def is_negated(span: Span) -> bool:
    """True when the cue span falls in the scope of a negation."""
    first = span[0]
    if any(tok.lower_ in NEGATION_WORDS for tok in span):
        return False  # the cue already contains its negation ("no way to", "won't let me")
    if _negated_by_window(first):
        return True
    if span.doc.has_annotation("DEP"):
        return _negated_by_parse(span.root, first.i)
    return False
