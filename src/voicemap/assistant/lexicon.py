"""The codebook's words, ready to be found in a typed question.

The assistant must answer in milliseconds, so it never loads spaCy: words are reduced
with SQLite's own Porter stemmer (the tokenizer behind the statements' FTS5 index, read
back through an `fts5vocab` table), plus a few irregular verb forms. The codebook's ids,
labels and cue phrases go through the same reduction, so "frustrates", "frustrating" and
"Frustration" meet, and a cue phrase such as "basket" works as a synonym of its code.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from typing import Iterable

from voicemap.codebook import Codebook

CODE_DIMENSIONS = ("touchpoint", "stage", "emotion", "pain_category")  # preference order on ties
LEVEL_LABEL, LEVEL_LABEL_WORD, LEVEL_CUE = 3, 2, 1

# Cue phrases are written in base form; questions are not. Porter leaves these apart.
IRREGULAR = {
    "left": "leave", "felt": "feel", "paid": "pay", "bought": "buy", "went": "go", "gone": "go", "got": "get",
    "gotten": "get", "thought": "think", "said": "say", "told": "tell", "spent": "spend", "lost": "lose",
    "sent": "send", "kept": "keep", "broke": "break", "came": "come", "found": "find", "made": "make",
    "took": "take", "taken": "take", "gave": "give", "given": "give", "saw": "see", "seen": "see",
    "heard": "hear", "ate": "eat", "eaten": "eat", "brought": "bring", "chose": "choose", "chosen": "choose",
    "wrote": "write", "written": "write", "quit": "quit", "stuck": "stick", "hung": "hang", "rang": "ring",
    "people": "person", "children": "child", "women": "woman", "men": "man", "better": "good", "best": "good",
    "worse": "bad", "worst": "bad",
}
STOP_WORDS = frozenset("""
a an the and or of to in on at for from by with about into over under than then this that these those it its
is are was were be been being am do does did done doing have has had having i me my we our you your he she they
them their his her him us what which who whom whose when where why how there here all any some each every
most more much many few such no nor not only own same so too very can could will would shall should may might
must just also as if while because until out up down off again further once s t don doesn didn isn wasn aren
weren won wouldn couldn shouldn get got
""".split())
_WORD = re.compile(r"[^\W_]+")
_stem_cache: dict[str, str] = {}
_stem_lock = threading.Lock()


def words_of(text: str) -> list[str]:
    """Words as the FTS5 unicode61 tokenizer sees them (letters and digits)."""
    return _WORD.findall(text)


def stem_words(words: Iterable[str]) -> list[str]:
    """Porter stems (lower case) of words, via an in-memory FTS5 table; cached."""
    words = [w.lower() for w in words]
    missing = sorted({w for w in words if w not in _stem_cache})
    if missing:
        conn = sqlite3.connect(":memory:")
        try:
            conn.execute("create virtual table t using fts5(x, tokenize='porter')")
            conn.execute("create virtual table v using fts5vocab(t, 'instance')")
            base = [IRREGULAR.get(w, w) for w in missing]
            conn.executemany("insert into t(rowid, x) values (?, ?)", [(i + 1, w) for i, w in enumerate(base)])
            terms: dict[int, list[str]] = {}
            for doc, term in conn.execute("select doc, term from v order by doc, offset"):
                terms.setdefault(doc, []).append(term)
        finally:
            conn.close()
        with _stem_lock:
            for i, word in enumerate(missing):
                _stem_cache[word] = "".join(terms.get(i + 1, [word]))
    return [_stem_cache[w] for w in words]


def stem_phrase(text: str) -> tuple[str, ...]:
    return tuple(stem_words(words_of(text)))


@dataclass(frozen=True)
class Term:
    """One way of naming a code: its id or label (strong) or one of its cue phrases (a synonym)."""

    dimension: str
    code: str
    level: int
    phrase: str


@dataclass
class Span:
    """Words [start, end) of a question and the codes they could name."""

    start: int
    end: int
    terms: list[Term]


class Lexicon:
    """Every id, label, label word and cue phrase of a codebook, indexed by stems."""

    def __init__(self, codebook: Codebook):
        self.codebook = codebook
        self.entries: dict[tuple[str, ...], set[Term]] = {}
        phrases: list[tuple[str, Term]] = []
        for dimension in CODE_DIMENSIONS:
            for code in codebook.codes(dimension):
                phrases.append((code.id.replace("_", " "), Term(dimension, code.id, LEVEL_LABEL, code.id)))
                phrases.append((code.label, Term(dimension, code.id, LEVEL_LABEL, code.label)))
                label_words = [w for w in words_of(code.label) if w.lower() not in STOP_WORDS]
                if len(label_words) > 1:
                    phrases += [(w, Term(dimension, code.id, LEVEL_LABEL_WORD, code.label)) for w in label_words]
                phrases += [(cue, Term(dimension, code.id, LEVEL_CUE, cue)) for cue in code.cues]
        stem_words(w for text, _ in phrases for w in words_of(text))  # one stemming pass for the whole codebook
        for text, term in phrases:
            key = stem_phrase(text)
            if key and not all(k in STOP_WORDS for k in key):
                self.entries.setdefault(key, set()).add(term)
        self.max_len = max((len(k) for k in self.entries), default=1)

    def spans(self, stems: list[str], blocked: set[int] = frozenset(), frame: frozenset[str] = frozenset()) -> list[Span]:
        """Longest codebook matches, left to right; blocked positions and frame-only matches are skipped."""
        found, i = [], 0
        while i < len(stems):
            for length in range(min(self.max_len, len(stems) - i), 0, -1):
                key = tuple(stems[i:i + length])
                if any(i + k in blocked for k in range(length)) or key not in self.entries:
                    continue
                if all(k in frame or k in STOP_WORDS for k in key):
                    continue
                found.append(Span(i, i + length, sorted(self.entries[key], key=_term_order)))
                i += length
                break
            else:
                i += 1
        return found


def _term_order(term: Term) -> tuple:
    return (-term.level, CODE_DIMENSIONS.index(term.dimension), term.code)


def choose_term(span: Span, pain_context: bool) -> Term:
    """The code a span most likely means.

    Labels beat cue phrases. A word that names a pain category ("crash" is a
    Reliability cue) is about a problem, so in a question about problems the pain
    category wins; otherwise the broader touchpoint or stage does.
    """
    problem_word = any(t.dimension == "pain_category" and t.level == LEVEL_CUE for t in span.terms)

    def rank(term: Term) -> tuple:
        level = term.level
        if term.dimension == "pain_category":
            level += 1 if (pain_context or problem_word) else -1
        return (-level, CODE_DIMENSIONS.index(term.dimension), term.code)

    return min(span.terms, key=rank)
