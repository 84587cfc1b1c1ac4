"""Is a matched cue negated? Dependency scope when the parse exists, a window otherwise.

"The checkout was not confusing" negates `confusing` through its copula; "I couldn't
find it" negates `find` directly; "nobody answered" negates through the subject; "never
had an issue" negates the object through its verb. A negator only reaches forward and
never across a sentence or clause break, so "worst service ever. never again" keeps
"worst". Without a parser we look a few tokens back within the same clause.
"""

from __future__ import annotations

from operator import attrgetter

from spacy.strings import get_string_id
from spacy.symbols import ADV, AUX, PART
from spacy.tokens import Doc, Span, Token

NEGATION_WORDS = frozenset({"not", "n't", "n’t", "nt", "never", "no", "nothing", "nobody", "none", "neither", "nor",
                            "without", "hardly", "barely", "cannot", "nowhere", "noone", "dont", "didnt",
                            "doesnt", "cant", "couldnt", "wont", "isnt", "wasnt", "havent", "hasnt", "aint"})
CLAUSE_BREAKS = frozenset({",", ";", ":", ".", "!", "?", "but", "however", "although", "though", "yet", "and",
                           "because", "so", "which", "who", "that", "what", "why", "how", "when", "where", "whether",
                           "if", "-", "–", "—"})
COMPLEMENT_DEPS = frozenset({"acomp", "attr", "xcomp", "dobj", "pobj", "advmod", "amod", "oprd", "nsubjpass", "prt",
                             "npadvmod", "conj"})
NEGATING_CHILD_DEPS = frozenset({"det", "advmod", "nsubj", "nsubjpass", "npadvmod", "dobj"})
WINDOW = 3
MAX_REACH = 6  # tokens looked back at most, counted or not
# "Nothing staff are excellent" (a survey answer missing its comma): a negating pronoun
# only reaches the word right after it unless the parse links them ("nothing works").
PRONOUN_NEGATORS = frozenset({"nothing", "nobody", "none", "noone", "nowhere", "neither"})


_NEGATOR_IDS = frozenset(get_string_id(word) for word in NEGATION_WORDS)
_NEG = get_string_id("neg")
# Words the window looks through (with part-of-speech tags only): "seem to be", "has", "still", "even".
_TRANSPARENT_POS = frozenset({AUX, PART, ADV})
_LOWER_AND_DEP = attrgetter("lower", "dep")


def first_negator(doc: Doc) -> int:
    """Index of the first token that could negate what follows it (len(doc) if none).

    Both the window and the parse test need a negation word or a `neg` dependent before
    the cue, so a cue starting at or before this index is never negated: most statements
    have no negation at all, and their cues are answered without looking at the parse.
    """
    for index, (lower, dep) in enumerate(map(_LOWER_AND_DEP, doc)):
        if lower in _NEGATOR_IDS or dep == _NEG:
            return index
    return len(doc)


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
    sentence_start = None  # found only when a child comes before the cue: most have none
    for candidate in candidates:
        for child in candidate.children:
            if child.i >= first:
                continue  # negation reaches forward...
            if sentence_start is None:
                sentence_start = token.sent.start if token.doc.has_annotation("SENT_START") else 0
            if child.i < sentence_start:
                continue  # ...within the sentence
            if child.dep_ == "neg" or (child.dep_ in NEGATING_CHILD_DEPS and child.lower_ in NEGATION_WORDS):
                return True
    return False


def _negated_by_window(first: Token) -> bool:
    """A negator at most WINDOW words back in the same clause; auxiliaries, "to" and adverbs
    between them do not count ("doesn't seem to be working", "nobody has gotten back")."""
    doc = first.doc
    counted, between = 0, 0  # words counted towards the window; words of any kind passed over
    for i in range(first.i - 1, max(-1, first.i - 1 - MAX_REACH), -1):
        word = doc[i]
        if word.lower_ in CLAUSE_BREAKS:
            return False
        if _is_negator(word) and (word.lower_ not in PRONOUN_NEGATORS or between == 0):
            return True
        if word.pos != AUX:
            between += 1  # a negating pronoun reaches only through auxiliaries: "nobody has answered"
        if word.pos not in _TRANSPARENT_POS:
            counted += 1
            if counted == WINDOW:
                return False
    return False


def is_negated(span: Span) -> bool:
    """True when the cue span falls in the scope of a negation."""
    return negated_at(span.doc, span.start, span.end)


def negated_at(doc: Doc, start: int, end: int) -> bool:
    """`is_negated` for the tokens start..end, without building a Span unless the parse needs its root."""
    first = doc[start]
    if first.lower_ in NEGATION_WORDS or any(doc[i].lower_ in NEGATION_WORDS for i in range(start + 1, end)):
        return False  # the cue already contains its negation ("no way to", "won't let me")
    if _negated_by_window(first):
        return True
    if doc.has_annotation("DEP"):
        return _negated_by_parse(first if end - start == 1 else doc[start:end].root, start)
    return False
