"""The gated matcher finds exactly what spaCy's Matcher finds, match for match and in the same order.

`GatedMatcher` skips a pattern when a word it requires is absent and starts the Matcher
where a match can first start; neither may lose, add or reorder a match. Random
patterns (every quantifier, word sets on the lowercase form and the lemma, wildcards,
negated tokens) are run over random statements and compared with one plain Matcher per
pattern, as well as the codebook's own patterns over generated and labelled statements.
"""

from __future__ import annotations

import importlib.util
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from conftest import ROOT
from voicemap.nlp.pattern_gates import GatedMatcher, doc_keys

WORDS = ["the", "app", "keeps", "crashing", "not", "we", "waited", "wait", "hours", "my", "order", ".", ",", "!"]
LEMMAS = {"keeps": "keep", "crashing": "crash", "waited": "wait", "hours": "hour"}
VOCAB = Vocab()

word = st.sampled_from(WORDS)
words = st.lists(word, min_size=1, max_size=3, unique=True)
test = st.one_of(
    st.builds(lambda w: {"LOWER": w}, word),
    st.builds(lambda ws: {"LOWER": {"IN": ws}}, words),
    st.builds(lambda w: {"LEMMA": LEMMAS.get(w, w)}, word),
    st.builds(lambda ws: {"LEMMA": {"IN": [LEMMAS.get(w, w) for w in ws]}}, words),
    st.builds(lambda ws: {"LOWER": {"NOT_IN": ws}}, words),
    st.builds(lambda w, l: {"LOWER": w, "LEMMA": LEMMAS.get(l, l)}, word, word),
    st.just({"IS_PUNCT": True}),
    st.just({}),
)
operator = st.sampled_from([None, None, None, "?", "+", "*", "!", "{2}", "{1,2}", "{,2}", "{2,}", "{0,1}"])
pattern_token = st.builds(lambda t, op: dict(t, OP=op) if op else dict(t), test, operator)
patterns = st.lists(st.lists(pattern_token, min_size=1, max_size=4), min_size=1, max_size=4)
statements = st.lists(st.lists(word, min_size=0, max_size=14), min_size=1, max_size=6)


def doc_of(tokens: list[str]) -> Doc:
    return Doc(VOCAB, words=tokens, lemmas=[LEMMAS.get(t, t) for t in tokens])


def matches_both_ways(pattern_list, docs):
    gated, plain = GatedMatcher(VOCAB), []
    for number, pattern in enumerate(pattern_list):
        label = f"p{number % 2}"  # two patterns may share a label, as codebook families do
        gated.add(label, [pattern])
        matcher = Matcher(VOCAB)
        matcher.add(label, [pattern])
        plain.append(matcher)
    for doc in docs:
        yield gated(doc), [match for matcher in plain for match in matcher(doc)]


@settings(max_examples=300, deadline=None)
@given(patterns, statements)
def test_random_patterns_match_as_spacy_matches_them(pattern_list, token_lists):
    for gated, expected in matches_both_ways(pattern_list, [doc_of(tokens) for tokens in token_lists]):
        assert gated == expected


def test_skipping_and_late_starts_really_happen_on_such_statements():
    """The random test is not vacuous: a pattern is skipped without its word and started late with it."""
    pattern = [{"LOWER": "not", "OP": "?"}, {"LEMMA": "crash"}, {"LOWER": {"IN": ["my", "the"]}, "OP": "*"}]
    gated = GatedMatcher(VOCAB)
    gated.add("crash", [pattern])
    plain = Matcher(VOCAB)
    plain.add("crash", [pattern])
    late = doc_of(["the", "app", "keeps", "not", "crashing", "the"])
    assert gated._patterns[0].start(doc_keys(late)) == 3  # "not" may open the match: one token before "crashing"
    assert gated(late) == plain(late) != []
    assert gated(doc_of(["the", "app", "keeps", "working"])) == []


def _corpus_statements(n: int) -> list[str]:
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "benchmarks" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    return corpus.statements(n)


def test_codebook_patterns_match_as_spacy_matches_them(tagger):
    cues = tagger.nlp.get_pipe("voicemap_cues")
    codebook = cues.codebook
    labelled = [(f"{d}:{code.id}", code.patterns) for d in ("stage", "touchpoint", "emotion", "pain_category")
                for code in codebook.codes(d) if code.patterns]
    labelled += [(f"pain:{family}", found) for family, found in codebook.pain_patterns.items() if found]
    pattern_list = [pattern for _, found in labelled for pattern in found]
    path = ROOT / "tests" / "data" / "labelled_statements.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = list(tagger.nlp.pipe(texts + _corpus_statements(1500)))
    gated, plain = GatedMatcher(tagger.nlp.vocab), []
    for label, found in labelled:
        gated.add(label, found)
        for pattern in found:
            matcher = Matcher(tagger.nlp.vocab)
            matcher.add(label, [pattern])
            plain.append(matcher)
    found_total = 0
    for doc in docs:
        expected = [match for matcher in plain for match in matcher(doc)]
        assert gated(doc) == expected, doc.text
        found_total += len(expected)
    assert len(pattern_list) > 50 and found_total > 200
