"""Agreement between a researcher's codes and the automatic ones: counts and Cohen's kappa."""

from __future__ import annotations

import pytest

from study_builder import build_study
from voicemap.agreement import agreement, agreement_markdown, dimension_agreement, kappa
from voicemap.store.coding import set_human_code, undo_last_correction


@pytest.fixture
def study(fresh_db):
    ids = build_study(fresh_db, [
        {"text": "The box came late.", "stage": "onboarding", "touchpoints": ["delivery"], "sentiment": "negative",
         "pain": True, "category": "delivery"},
        {"text": "The app logs me out.", "stage": "onboarding", "touchpoints": ["mobile_app"], "sentiment": "negative",
         "pain": True, "category": "reliability"},
        {"text": "Recipes are tasty.", "stage": "usage", "touchpoints": ["product"], "emotions": ["satisfaction"],
         "sentiment": "positive"},
        {"text": "Support never answered.", "stage": "usage", "touchpoints": ["email"], "sentiment": "negative",
         "pain": True, "category": "support"},
        {"text": "Nobody coded this one.", "stage": "usage", "sentiment": "neutral"},
    ])
    return fresh_db, ids


def test_no_human_codes_means_nothing_to_compare(study, codebook):
    db, _ = study
    results = agreement(db, codebook)
    assert [r.statements for r in results] == [0] * 6
    assert all(r.kappa is None for r in results)
    assert "No statement has a human code yet" in agreement_markdown(db, results, codebook)


def test_stage_agreement_and_kappa_follow_the_definition(study):
    db, ids = study
    # automatic stages of the first four: onboarding, onboarding, usage, usage
    for statement_id, stage in zip(ids[:4], ["onboarding", "usage", "usage", "usage"]):
        set_human_code(db, statement_id, "stage", stage)
    result = dimension_agreement(db, "stage")
    assert (result.statements, result.agree) == (4, 3)
    # observed 3/4; chance = 0.5*0.25 + 0.5*0.75 = 0.5; kappa = (0.75 - 0.5) / (1 - 0.5)
    assert result.kappa == pytest.approx(0.5)
    assert result.disagreements == {("onboarding", "usage"): 1}


def test_only_the_current_human_code_counts_and_undo_is_seen(study):
    db, ids = study
    set_human_code(db, ids[0], "stage", "usage")
    set_human_code(db, ids[0], "stage", "onboarding")  # the researcher changed their mind: now agrees
    assert dimension_agreement(db, "stage").agree == 1
    undo_last_correction(db)
    result = dimension_agreement(db, "stage")
    assert (result.statements, result.agree) == (1, 0)


def test_multi_valued_dimensions_compare_sets_and_decisions_per_code(study, codebook):
    db, ids = study
    set_human_code(db, ids[0], "touchpoint", ["delivery"])  # same
    set_human_code(db, ids[1], "touchpoint", ["mobile_app", "account"])  # one added
    set_human_code(db, ids[2], "emotion", [])  # "no emotion here" removes satisfaction
    touch = dimension_agreement(db, "touchpoint", codebook.ids("touchpoint"))
    assert (touch.statements, touch.agree) == (2, 1)
    assert touch.decisions == 2 * len(codebook.ids("touchpoint"))
    assert touch.kappa is not None and 0 < touch.kappa < 1
    emotion = dimension_agreement(db, "emotion", codebook.ids("emotion"))
    assert (emotion.statements, emotion.agree) == (1, 0)
    assert emotion.disagreements == {("satisfaction", "(none)"): 1}


def test_pain_and_category(study):
    db, ids = study
    set_human_code(db, ids[2], "pain", "yes")  # auto said no
    set_human_code(db, ids[0], "pain", "yes")  # auto said yes
    pain = dimension_agreement(db, "pain")
    assert (pain.statements, pain.agree) == (2, 1)
    assert pain.disagreements == {("no", "yes"): 1}
    set_human_code(db, ids[1], "pain_category", "usability")
    category = dimension_agreement(db, "pain_category")
    assert category.disagreements == {("reliability", "usability"): 1}


def test_kappa_is_undefined_with_a_single_label():
    assert kappa(["a", "a"], ["a", "a"]) is None
    assert kappa([], []) is None
    assert kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == pytest.approx(1.0)


def test_markdown_lists_each_dimension_coder_and_corrections(study, codebook):
    db, ids = study
    set_human_code(db, ids[0], "stage", "usage", coder="ana")
    set_human_code(db, ids[1], "stage", "onboarding", coder="ben")
    text = agreement_markdown(db, agreement(db, codebook), codebook)
    assert "2 statements have a human code" in text and "ana (1)" in text and "ben (1)" in text
    assert "| Stage | 2 | 1 | 50% |" in text
    assert "| Stage | Onboarding | Usage | 1 |" in text
