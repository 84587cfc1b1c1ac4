"""Statements: sentence splits that keep exact offsets, merge fragments, and tag independently."""

from __future__ import annotations

from voicemap.nlp.segment import MIN_WORDS, split_statements


def test_statements_keep_exact_offsets_into_the_utterance():
    text = "The box arrived late again. Yeah. The driver was lovely though, and the food was fresh!"
    [statements] = list(split_statements([text]))
    for statement in statements:
        assert text[statement.start:statement.end] == statement.text
    assert statements[0].text == "The box arrived late again."
    # "Yeah." is too short to stand alone: merged into the following sentence
    assert statements[1].text.startswith("Yeah. The driver")
    assert all(len(s.text.split()) >= MIN_WORDS for s in statements)


def test_trailing_fragment_joins_the_previous_statement():
    text = "I cancelled after the third missing delivery. Never again."
    [statements] = list(split_statements([text]))
    assert len(statements) == 1 and statements[0].text == text


def test_short_only_answer_is_still_one_statement():
    [statements] = list(split_statements(["Too pricey."]))
    assert [s.text for s in statements] == ["Too pricey."]


def test_empty_and_punctuation_only_utterances_give_no_statements():
    assert list(split_statements(["", "   "])) == [[], []]


def test_batch_membership_does_not_change_tags(tagger):
    text = "I couldn't find the delivery date anywhere in the app."
    alone = tagger.tag(text)
    crowd = ["The checkout was not confusing at all.", "Support took three days to reply."] * 20
    batched = list(tagger.tag_texts(crowd[:20] + [text] + crowd[20:]))[20]
    assert alone == batched
