"""Customer actions as the journey map shows them ("contact support"), read from
part-of-speech tags in the default pipeline (no parser) and from the parse when there is one."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

LABELLED = Path(__file__).parent / "data" / "labelled_statements.jsonl"


@pytest.mark.parametrize("text, expected", [
    ("I turned it off and on, then contacted customer support.", ["turn off", "contact support"]),
    ("I tried to skip a week but the app crashed.", ["skip week", "crash"]),
    ("I waited forty minutes for the courier.", ["wait"]),  # how long, not what
    ("The billing page broke my saved card.", ["break card", "save"]),  # "saved" describes the card
    ("She's been great, I'd contact support again.", ["contact support"]),
])
def test_actions_name_the_verb_and_what_it_acted_on(tagger, text, expected):
    assert tagger.tag(text).actions == expected


def test_contractions_and_slang_tag_without_a_parser(tagger):
    # spaCy 3.8 leaves tokenizer special cases without tree edges when no parser runs;
    # reading the tree there crashes the process, so the default pipeline must not.
    texts = ["She's gone and y'all gonna ship my stuff or what?", "I'd've cancelled, ain't nobody got time",
             "Can't log in, won't load, didn't arrive, shouldn't've ordered"] * 20
    tags = list(tagger.tag_texts(texts))
    assert "ship stuff" in tags[0].actions and "log in" in tags[2].actions


@pytest.mark.skipif(not LABELLED.is_file(), reason="hand-labelled development set not present")
def test_parse_free_actions_mostly_match_the_parse(tagger, parsed_tagger, sample_dir):
    texts = [json.loads(line)["text"] for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    with open(sample_dir / "survey_2026_q1.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            texts += [row["what_could_we_improve"], row["what_do_you_like"]]
    pairs = [(a, b) for with_tags, with_parse in zip(tagger.tag_texts(texts), parsed_tagger.tag_texts(texts))
             for a, b in zip(with_tags.actions, with_parse.actions)]
    same = sum(a == b for a, b in pairs) / len(pairs)
    assert len(pairs) > 300
    assert same >= 0.9, f"only {same:.1%} of {len(pairs)} actions match the parse"
