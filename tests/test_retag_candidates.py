"""The candidate test for a changed cue never misses a statement the tagger would match."""

from __future__ import annotations

from voicemap.retag_candidates import AnchorFinder, Anchors, matching_statements
from voicemap.retag_state import codebook_state


def test_every_statement_a_cue_matches_is_a_candidate(sample_db, tagger):
    """For every label of the shipped codebook: the statements the tagger finds it in are among the candidates."""
    import json

    from voicemap.nlp.cues import cues

    rows = sample_db.execute("select id, text from statements order by id").fetchall()
    found: dict[str, set[int]] = {}
    for (statement_id, _), doc in zip(rows, tagger.nlp.pipe(text for _, text in rows)):
        for cue in cues(doc, ""):
            found.setdefault(cue.label_, set()).add(statement_id)
    state = codebook_state(tagger.codebook)
    finder = AnchorFinder(tagger.nlp)
    considered = checked = narrowed = 0
    for label in sorted(set(state["cues"]) | set(state["patterns"])):
        anchors = Anchors()
        for phrase in state["cues"].get(label, []):
            anchors.add(finder.phrase(phrase))
        for pattern in state["patterns"].get(label, []):
            anchors.add(finder.pattern(json.loads(pattern), label))
        if anchors.everything:
            continue
        considered += 1
        candidates = matching_statements(sample_db, anchors)
        missed = found.get(label, set()) - candidates
        assert not missed, f"{label}: {len(missed)} statements the tagger matches are not candidates"
        checked += bool(found.get(label))
        narrowed += len(candidates) < len(rows) / 2
    # most labels occur in the sample study, and most select well under half of it
    assert considered >= 50 and checked >= 0.8 * considered and narrowed >= 0.9 * considered


def test_contractions_and_irregular_forms_are_found_through_their_lemma(fresh_db, tagger):
    """ "was told" -> lemma "be"; "'d" -> "would"; "ca" -> "can": forms the stored content lemmas leave out."""
    from study_builder import build_study

    texts = ["They were rude.", "I'd cancel.", "I ca n't log in.", "Nothing to see here."]
    ids = build_study(fresh_db, [{"text": t} for t in texts])
    finder = AnchorFinder(tagger.nlp)
    for phrase, expected in (("be rude", ids[0]), ("would cancel", ids[1]), ("can not log", ids[2])):
        assert expected in matching_statements(fresh_db, finder.phrase(phrase)), phrase
    assert matching_statements(fresh_db, finder.phrase("log in")) == {ids[2]}
    assert finder.pattern([{"POS": "VERB"}], "stage:x").everything  # names no word: may match anything
