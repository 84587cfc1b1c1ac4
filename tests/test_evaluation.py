"""The evaluator itself: labelled files in, per-label figures and docs/accuracy.md out.

A tiny labelled file written here exercises the whole path (import, aggregation,
scoring, the report); the public sets are read from ../shared at run time only.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import EVAL_DATA
from voicemap.cli import main
from voicemap.evaluation.datasets import load_dataset, load_labelled_file
from voicemap.evaluation.metrics import score_binary, score_multi, score_single
from voicemap.evaluation.runner import aggregate, evaluate

SYNTHETIC = [
    {"id": "a", "text": "The app keeps crashing every time I open it.", "pain": True, "stage": "usage",
     "sentiment": "negative", "touchpoints": ["mobile_app"], "emotions": []},
    {"id": "b", "text": "Lovely staff and the food was amazing, thank you!", "pain": False, "stage": "usage",
     "sentiment": "positive", "touchpoints": ["staff", "product"], "emotions": ["delight"]},
    {"id": "c", "text": "I heard about you from a podcast ad. The parcel never arrived though.", "pain": True,
     "stage": "onboarding", "sentiment": "negative", "touchpoints": ["advertising", "delivery"], "emotions": []},
    {"id": "d", "text": "I'm so frustrated, I was charged twice for one order.", "pain": True, "stage": None,
     "sentiment": "negative", "touchpoints": ["pricing_billing"], "emotions": ["frustration"]},
]


@pytest.fixture
def labelled_file(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in SYNTHETIC), encoding="utf-8")
    return path


def test_scores_match_hand_computed_figures():
    gold, predicted = ["a"] * 10 + ["b"] * 10, ["a"] * 5 + ["b"] * 5 + ["b"] * 10
    result = score_single("stage", gold, predicted, ["a", "b"])
    a, b = result.per_label
    assert (a.precision, a.recall) == (1.0, 0.5) and b.precision == pytest.approx(10 / 15)
    assert result.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert score_binary("pain", [True, True, False, False], [True, False, True, False]).value == 0.5
    multi = score_multi("emotion", [frozenset({"x"}), frozenset()], [frozenset({"x", "unjudged"}), frozenset({"x"})],
                        ["x"])
    assert multi.per_label[0].precision == 0.5  # "unjudged" is outside the scored labels and ignored


def test_rows_split_into_statements_are_aggregated_back(labelled_file, tagger):
    result = evaluate(load_labelled_file(labelled_file), tagger)
    assert result.rows == 4 and result.statements >= 5  # row c is two sentences
    figures = {score.dimension: score for score in result.scores}
    assert set(figures) == {"pain", "stage", "sentiment", "touchpoint", "emotion"}
    assert figures["pain"].value == 1.0  # row c: any statement a pain point -> the row is
    assert {s.label for s in figures["touchpoint"].per_label} >= {"mobile_app", "delivery"}
    assert result.baselines and result.baselines[0].dimension == "pain"


def test_aggregation_rules():
    statements = [
        {"sentiment": "positive", "stage": "awareness", "stage_confidence": 0.4, "pain": False, "pain_category": None,
         "touchpoints": ["advertising"], "emotions": ["delight"]},
        {"sentiment": "negative", "stage": "onboarding", "stage_confidence": 0.9, "pain": True,
         "pain_category": "delivery", "touchpoints": ["delivery"], "emotions": []},
    ]
    row = aggregate(statements)
    assert (row.stage, row.sentiment, row.pain, row.pain_category) == ("onboarding", "mixed", True, "delivery")
    assert row.touchpoints == {"advertising", "delivery"} and row.emotions == {"delight"}


def test_eval_command_writes_the_report_with_figures_only(labelled_file, tmp_path):
    output = tmp_path / "docs" / "accuracy.md"
    result = CliRunner().invoke(main, ["eval", str(labelled_file), "-o", str(output)])
    assert result.exit_code == 0, result.output
    report = output.read_text(encoding="utf-8")
    assert "# Tagging accuracy, measured" in report and "| dimension | data |" in report
    assert "commit" in report and "mine (all)" in report
    assert not any(row["text"][:20] in report for row in SYNTHETIC)  # figures, never the data's text
    stored = json.loads(output.with_suffix(".json").read_text(encoding="utf-8"))
    assert stored["runs"]["mine"]["result"]["rows"] == 4


def test_unknown_data_set_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["eval", "nosuchset", "--data", str(tmp_path)])
    assert result.exit_code != 0 and "unknown data set 'nosuchset'" in result.output


def test_the_learned_model_recodes_uncoded_statements_and_keeps_human_codes(tmp_path, tagger):
    from voicemap.importer import import_paths
    from voicemap.learning import learn, model_path
    from voicemap.store import open_db
    from voicemap.store.coding import set_human_code

    rows = [f"R{i},The courier left my box at number {i} again" for i in range(14)]
    rows += [f"S{i},Lovely recipes this week number {i}" for i in range(14)]
    survey = tmp_path / "survey.csv"
    survey.write_text("respondent_id,answer\n" + "\n".join(rows) + "\n", encoding="utf-8")
    db_path = tmp_path / "study.db"
    db = open_db(db_path)
    import_paths(db, [survey], tagger=tagger, workers=1)
    ids = {r["text"]: r["id"] for r in db.query("select id, text from statements")}
    courier = [i for t, i in ids.items() if "courier" in t]
    recipes = [i for t, i in ids.items() if "recipes" in t]
    coded = courier[:6] + recipes[:6]  # a researcher codes 12 statements, 6 of each kind
    for statement_id in coded:
        # this team files courier mishaps under support, which the rules would not
        set_human_code(db, statement_id, "stage", "support" if statement_id in courier else "usage")
    report = learn(db, db_path)
    assert report.trained["stage"] == 12
    saved = json.loads(model_path(db_path).read_text(encoding="utf-8"))  # plain JSON, not a pickle
    assert "stage" in saved["models"]
    stages = {r["text"]: (r["stage"], r["origin"]) for r in db.query("select text, stage, origin from statements")}
    uncoded_courier = [stages[t] for t in ids if "courier" in t and ids[t] not in coded]
    assert uncoded_courier and all(stage_origin == ("support", "model") for stage_origin in uncoded_courier)
    assert all(stages[t][1] == "human" for t in ids if ids[t] in coded)
    # stage codes from the model name the human codes they were learned from (other dimensions may carry
    # the shipped emotion/sentiment model's origin too)
    model_rows = list(db.query("select cue from tags where origin = 'model' and dimension = 'stage'"))
    assert model_rows and all("learned from 12 human codes" in r["cue"] for r in model_rows)


def test_learning_curve_starts_from_the_rules():
    from voicemap.evaluation.learning_curve import curve_for

    texts = [("The courier was late again", "onboarding"), ("Recipes are tasty", "usage")] * 40
    rows = [(text, {"stage": "usage", "pain": False}, {"stage": gold}) for text, gold in texts]
    values = curve_for(rows, "stage", ["onboarding", "usage"], sizes=(0, 20))
    assert values[0] < values[1] == 1.0  # the rules said usage for everything; 20 codes fix it


@pytest.mark.skipif(not (EVAL_DATA / "complaints_social_media").is_dir(), reason="shared eval data not present")
def test_200_real_complaints_beat_the_vader_baseline(tagger):
    labelled = load_dataset("complaints", EVAL_DATA, "test")
    labelled.items = labelled.items[::len(labelled.items) // 200][:200]  # spread over all domains
    result = evaluate(labelled, tagger)
    pain = next(s for s in result.scores if s.dimension == "pain")
    vader = next(s for s in result.baselines if s.dimension == "pain")
    assert result.rows == 200
    assert pain.value >= 0.55 and pain.value > vader.value + 0.08
