"""The one-sentence fast path of segmentation gives exactly what spaCy's sentencizer gives.

`split_statements` hands a text back whole, without spaCy, when the sentencizer provably
could not split it. These tests compare it with `gate=False` (every text through spaCy)
on crafted edge cases, on random texts built from the characters that matter, and on real
feedback read at run time from the shared evaluation data.
"""

from __future__ import annotations

import csv
import random
import sys

import pytest
from spacy.pipeline import Sentencizer

from conftest import EVAL_DATA
from voicemap.nlp.segment import _known_statements, split_statements

EDGE_CASES = [
    "", " ", "\n", "\t \n", "\u00a0", "\u3000",
    "The box arrived late again.", "The box arrived late again", "Late again!!!", "Why?!", "Why?! Really.",
    "Really...", "Really… it was late", "Really... it was late", "It was late... again and again and again.",
    "Too pricey.", "ok", "?", "!?", "...", ".", "a.", "a. b", "A.B. testing is fine",
    "e.g. the recipes", "Mr. Smith delivered it today", "It cost £12.50 per box", "Version 2.0 broke it",
    "Great food 😀", "Great food 😀.", "Great food. 😀", "Great food! 😀 Really", "😀😀😀",
    "  leading spaces then words.", "\nleading newline then words.", "trailing space. ", "trailing spaces.  ",
    "trailing newline.\n", "two lines\nno stops", "two lines.\nsecond line here", "tab\tinside the answer.",
    "non\u00a0breaking\u00a0space.", "ends with nbsp.\u00a0", "Zero\u200bwidth space.",
    "I love it。", "I love it。 Really I do", "本当に良い！", "本当に良い！ありがとう", "Is it good？ yes it is",
    "Full stop．Next", "Hindi danda। next", "Interrobang‽ next words here", "Double ‼ inside",
    "Armenian։ stop", "Arabic question؟ next", "Ethiopic። stop", "(quoted.) next", "\"Quoted.\" Next one here.",
    "Brackets (see above) are fine.", "Ends with a quote.\"", "Ends in a bracket.)", "It was ok.'",
    "Hyphen - dash — and en – dash.", "Semicolons; colons: commas, all fine.", "Numbers 1, 2, 3!",
    "Email me at a@b.com please", "Visit www.example.com today", "Price was $10?!?!", "Yes. No. Maybe.",
    "Short. Then a much longer sentence follows here.", "A much longer sentence comes first here. Then short.",
]

WORDS = ["the", "box", "arrived", "late", "app", "crashed", "again", "Mr", "e", "g", "I", "love", "it", "£12",
         "😀", "👍🏽", "café", "naïve", "本当", "ok", "OK", "no", "yes", "can't", "2-3", "#1"]
DOTTED_WORDS = WORDS + ["2.0", "U.S", "£12.50", "www.example.com", "e.g."]
GLUE = [" ", " ", " ", " ", "  ", "\n", "\t", "\u00a0", ", ", "; ", " - ", " (", ") ", "\"", "'", "…", "...",
        "\u200b", "\r\n"]
CLEAN_GLUE = [" ", " ", " ", "  ", "\n", "\t", "\u00a0", ", ", " - ", "\"", "'"]
ENDINGS = ["", "", ".", ".", ".", "!", "?", "?!", "...", "!!!", "…", "。", "！", "？", "‽", ".)", ".\"", " ",
           "  ", "\n", "😀", ". 😀"]


def _random_texts(count: int, seed: int) -> list[str]:
    """Texts built from words, the glue between them and sentence ends (sometimes mid-text)."""
    rng = random.Random(seed)
    punct = sorted(Sentencizer.default_punct_chars)
    texts = []
    for _ in range(count):
        parts, noise = [], rng.choice([0.0, 0.0, 0.03, 0.1])
        words, glue = (DOTTED_WORDS, GLUE) if noise else (WORDS, CLEAN_GLUE)
        for _ in range(rng.randint(1, 14)):
            parts.append(rng.choice(words))
            roll = rng.random()
            if roll < noise:
                parts.append(rng.choice(punct))  # any of the sentencizer's characters
            elif roll < 2 * noise:
                parts.append(rng.choice(ENDINGS))
            parts.append(rng.choice(glue))
        if rng.random() < 0.7:
            parts[-1] = ""
        texts.append(("" if rng.random() < 0.9 else rng.choice(GLUE)) + "".join(parts) + rng.choice(ENDINGS))
    return texts


def _assert_same_as_spacy(texts: list[str]) -> int:
    """Fast path and spaCy agree on every text (offsets, texts, utterance index); returns texts spared spaCy."""
    fast = list(split_statements(texts))
    full = list(split_statements(texts, gate=False))
    assert len(fast) == len(full) == len(texts)
    for text, mine, reference in zip(texts, fast, full):
        assert mine == reference, repr(text)
        assert all(text[s.start:s.end] == s.text for s in mine)
    return sum(_known_statements(text, 0) is not None for text in texts)


def test_edge_cases_split_exactly_as_spacy_does():
    spared = _assert_same_as_spacy(EDGE_CASES)
    assert 0 < spared < len(EDGE_CASES)


def test_one_sentence_answer_comes_back_whole_without_spacy():
    text = "The delivery driver left the box in the rain, again."
    assert _known_statements(text, 3)[0].text == text
    assert _known_statements("It was late. Then it was cold.", 0) is None  # spaCy decides


def test_random_texts_split_exactly_as_spacy_does():
    texts = _random_texts(4000, seed=11)
    spared = _assert_same_as_spacy(texts)
    assert len(texts) * 0.1 < spared < len(texts) * 0.9  # both paths exercised, mixed within batches


def test_batch_boundaries_keep_utterance_indexes():
    texts = _random_texts(700, seed=5)
    for batch_size in (1, 7, 256):
        groups = list(split_statements(texts, batch_size=batch_size))
        assert groups == list(split_statements(texts, gate=False))
        assert all(s.utterance_index == index for index, group in enumerate(groups) for s in group)


def _column(path, column: str, limit: int = 3000) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        return [row[column] for _, row in zip(range(limit), csv.DictReader(handle)) if row.get(column)]


REAL_TEXTS = [
    ("nhs_fft_patient_feedback/phase_1/text_data.csv", "feedback"),
    ("app_reviews_urr/golden_set.csv", "reviewText"),
    ("womens_clothing_reviews/womens_clothing_ecommerce_reviews.first1000.csv", "Review Text"),
]


@pytest.mark.parametrize("relative, column", REAL_TEXTS)
def test_real_feedback_splits_exactly_as_spacy_does(relative, column):
    path = EVAL_DATA / relative
    if not path.is_file():
        pytest.skip(f"shared eval data not present: {relative}")
    texts = _column(path, column)
    texts += [text.strip() for text in texts]  # readers strip answers; raw and stripped both
    assert _assert_same_as_spacy(texts) > 0


def test_real_complaint_tweets_split_exactly_as_spacy_does():
    path = EVAL_DATA / "complaints_social_media" / "complaints-data.csv"
    if not path.is_file():
        pytest.skip("shared eval data not present: complaints_social_media")
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        texts = [row[1] for row in csv.reader(handle) if len(row) > 1]
    assert _assert_same_as_spacy(texts) > 0


def test_fast_path_reads_no_further_ahead_than_spacy():
    """The importer estimates progress from how far the reader got: the gate must not read ahead more."""
    texts = _random_texts(600, seed=3)

    def pulled_before_each_answer(gate: bool) -> list[int]:
        pulled = []

        def source():
            for text in texts:
                pulled.append(text)
                yield text

        return [len(pulled) for _ in split_statements(source(), gate=gate)]

    assert pulled_before_each_answer(True) == pulled_before_each_answer(False)
