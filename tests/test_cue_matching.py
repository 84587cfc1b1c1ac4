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
