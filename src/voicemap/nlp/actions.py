"""What the customer did: content verbs with their object ("skip week", "contact support").

Two readings of the same idea. With a dependency parse, the object is the verb's `dobj`
and its particle the `prt`. Without one (the default pipeline leaves the parser out, see
docs/performance.md), the object is read off the part-of-speech tags: an optional
particle right after the verb, then the head noun of the noun phrase that follows.
The tag reading agrees with the parse on about 95% of actions; where they differ it is
mostly on time phrases ("waited forty minutes") that the parser itself labels
inconsistently. The parse-free reading never touches `Token.children`/`Token.head`,
which spaCy 3.8 can crash on when no parser set the tree.
"""

from __future__ import annotations

from spacy.symbols import ADP, ADV, NOUN, PRON, PROPN, VERB
from spacy.tokens import Doc, Token

LIGHT_VERBS = frozenset({"be", "have", "do", "get", "go", "say", "think", "know", "feel", "make", "want",
                         "seem", "mean", "guess", "like", "let", "come", "take", "give", "see", "look", "try",
                         "need", "use", "would", "could", "can", "will", "should", "must", "may", "might"})
OBJECT_POS = frozenset({NOUN, ADP, ADV, PROPN})
# Tags that may stand between a verb and the head noun of its object ("my saved card", "two ingredients").
NOUN_PHRASE_MODIFIER_TAGS = frozenset({"DT", "PDT", "PRP$", "POS", "CD", "JJ", "JJR", "JJS", "HYPH", "VBN", "VBG"})
QUANTIFIER_WORDS = frozenset({"so", "much", "many"})
# Nouns of time: alone after a verb and counted or placed ("waited forty minutes", "cancel last
# week") they say how long or when, not what; "skip a week" keeps its object.
TIME_NOUNS = frozenset({"time", "times", "week", "weeks", "month", "months", "day", "days", "hour", "hours",
                        "minute", "minutes", "evening", "evenings", "morning", "mornings", "night", "nights",
                        "year", "years", "weekend", "weekends", "second", "seconds", "moment", "while", "afternoon"})
TIME_PLACING_WORDS = frozenset({"last", "next", "this", "that", "every", "each", "all", "few", "several", "couple",
                                "many", "some", "other", "same", "whole", "entire", "most", "much", "so", "first",
                                "second", "third", "one", "more"})
DEGREE_NOUNS = frozenset({"lot", "bit"})  # "helped a lot"
DAY_WORDS = frozenset({"yesterday", "today", "tomorrow", "tonight"})
PLURAL_NOUN_TAGS = frozenset({"NNS", "NNPS"})
# "I found the staff helpful": the noun is the subject of a small clause, not what was found.
ADJECTIVAL_CONTEXT_TAGS = frozenset({"DT", "PDT", "PRP$", "POS", "CD", "JJ", "JJR", "JJS", "RB", "RBS", "HYPH", ",", "CC"})
SMALL_CLAUSE_VERBS = frozenset({"find", "consider"})


def actions(doc: Doc) -> list[str]:
    """Content verbs with their object, read from the parse when there is one."""
    if not doc.has_annotation("POS"):
        return []
    read = _action_from_parse if doc.has_annotation("DEP") else _action_from_tags
    return [read(token, lemma) for token, lemma in _content_verbs(doc)]


def _content_verbs(doc: Doc):
    for token in doc:
        if token.pos == VERB:
            lemma = token.lemma_.lower()
            if lemma not in LIGHT_VERBS:
                yield token, lemma


def _action_from_parse(verb: Token, lemma: str) -> str:
    objects = [c for c in verb.children if c.dep_ in ("dobj", "prt")]
    return " ".join([lemma] + [c.lemma_.lower() for c in objects if c.pos in OBJECT_POS])


def _action_from_tags(verb: Token, lemma: str) -> str:
    doc, n, parts = verb.doc, len(verb.doc), [lemma]
    if _is_adjectival(verb):
        return lemma  # "understanding staff", "my saved card"
    j = verb.i + 1
    if j + 1 < n and doc[j].pos == PRON and doc[j + 1].tag_ == "RP":
        j += 1  # "turn it off"
    if j < n and doc[j].tag_ == "RP":
        parts.append(doc[j].lemma_.lower())
        j += 1
    elif j < n and doc[j].tag_ == "PRP":
        j += 1  # an indirect object: "saved me so much time"
    head, after = _noun_phrase_head(doc, j)
    if head is not None and not (lemma in SMALL_CLAUSE_VERBS and _starts_predicate(doc, after)):
        parts.append(head.lemma_.lower())
    return " ".join(parts)


def _is_adjectival(verb: Token) -> bool:
    """A participle between a determiner or modifier and a noun modifies the noun ("my saved card")."""
    doc = verb.doc
    if verb.tag_ not in ("VBN", "VBG") or verb.i + 1 >= len(doc) or doc[verb.i + 1].pos not in (NOUN, PROPN):
        return False
    return verb.i == 0 or doc[verb.i - 1].tag_ in ADJECTIVAL_CONTEXT_TAGS


def _noun_phrase_head(doc: Doc, start: int) -> tuple[Token | None, int]:
    """The last noun of the noun phrase at `start` (None if there is none) and the index after it."""
    k, n = start, len(doc)
    while k < n and (doc[k].tag_ in NOUN_PHRASE_MODIFIER_TAGS or doc[k].lower_ in QUANTIFIER_WORDS):
        k += 1
    run: list[Token] = []
    while k < n and doc[k].pos in (NOUN, PROPN) and doc[k].lower_ not in DAY_WORDS:
        if run and run[-1].tag_ in PLURAL_NOUN_TAGS:
            break  # "answered my emails yesterday evening": a plural noun ends its phrase
        run.append(doc[k])
        k += 1
    if not run or (len(run) == 1 and _is_adverbial(run[0], doc[start:run[0].i])):
        return None, k
    return run[-1], k


def _is_adverbial(noun: Token, modifiers) -> bool:
    word = noun.lower_
    if word in DEGREE_NOUNS:
        return True
    return word in TIME_NOUNS and any(m.tag_ == "CD" or m.lower_ in TIME_PLACING_WORDS for m in modifiers)


def _starts_predicate(doc: Doc, index: int) -> bool:
    while index < len(doc) and doc[index].tag_ in ("RB", "RBR", "RBS"):
        index += 1
    return index < len(doc) and doc[index].tag_ in ("JJ", "JJR", "JJS")
