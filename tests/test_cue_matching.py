"""Cue matching: the codebook's token patterns find their complaints, and a tagged Doc keeps its cues.

A tagged Doc stays plain data: it serialises and pickles, and its cues can be read back.
"""

from __future__ import annotations

import pickle

from spacy.tokens import Doc


def test_the_codebook_patterns_find_their_complaints(tagger):
    cues = tagger.nlp.get_pipe("voicemap_cues")
    doc = tagger.nlp("The app keeps crashing and I have been waiting for 3 hours.")
    found = {tagger.nlp.vocab.strings[key] for key, _, _ in cues.token_matcher(doc)}
    assert {"pain_category:reliability", "pain:problem_states", "pain:waiting"} <= found


def test_a_tagged_doc_serialises_with_its_cues(tagger):
    doc = tagger.nlp("The app keeps crashing, but the support team was lovely.")
    labels = [span.label_ for span in doc._.voicemap_cue_spans]
    assert "pain_category:reliability" in labels and "contrast" in labels
    for copy in (Doc(tagger.nlp.vocab).from_bytes(doc.to_bytes()), pickle.loads(pickle.dumps(doc))):
        assert [(s.label_, s.start, s.end) for s in copy._.voicemap_cue_spans] == \
            [(s.label_, s.start, s.end) for s in doc._.voicemap_cue_spans]
        assert copy._.voicemap_touchpoints == doc._.voicemap_touchpoints
        assert copy._.voicemap_stage == doc._.voicemap_stage


def test_gated_patterns_find_exactly_what_spacys_matcher_finds(tagger):
    """Skipping a pattern for want of a word it requires never loses a match (labelled statements + a codebook
    pattern whose required word is optional or negated, which must not be gated)."""
    import json
    from pathlib import Path

    from spacy.matcher import Matcher

    from voicemap.nlp.pattern_gates import GatedMatcher

    cues = tagger.nlp.get_pipe("voicemap_cues")
    codebook = cues.codebook
    labelled = [(f"{d}:{code.id}", code.patterns) for d in ("stage", "touchpoint", "emotion", "pain_category")
                for code in codebook.codes(d) if code.patterns]
    labelled += [(f"pain:{family}", patterns) for family, patterns in codebook.pain_patterns.items() if patterns]
    labelled.append(("test:loose", [[{"LOWER": "not", "OP": "?"}, {"LOWER": {"NOT_IN": ["good"]}}, {"POS": "ADJ"}],
                                    [{"LEMMA": {"IN": ["wait", "hold"]}, "OP": "{1,}"}, {"LOWER": "on", "OP": "!"}]]))
    plain, gated = Matcher(tagger.nlp.vocab), GatedMatcher(tagger.nlp.vocab)
    for label, patterns in labelled:
        plain.add(label, patterns)
        gated.add(label, patterns)
    path = Path(__file__).parent / "data" / "labelled_statements.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = 0
    for doc in tagger.nlp.pipe(texts):
        expected = sorted(set(plain(doc)))
        assert sorted(set(gated(doc))) == expected, doc.text
        found += len(expected)
    assert found > 50  # the statements do exercise the patterns
