"""What the staged import writes: every automatic tag and effective column, exactly, for any tags."""

from __future__ import annotations

import json

from voicemap.domain import Source, Statement, Tags, Utterance
from voicemap.store.write import StagedSource, TaggedStatement, code_list_json, replace_auto_tags

MODEL_TAGS = Tags(stage="delivery", stage_confidence=0.625, stage_cue="courier", touchpoints=["app", "courier"],
                  touchpoint_cues={"app": "app", "courier": "model touchpoints"}, sentiment="negative",
                  sentiment_score=-0.61234, sentiment_cue=None, emotions=["frustration"],
                  emotion_cues={"frustration": "model goemotions_linear"}, pain=True, pain_category="delivery",
                  pain_cue="late again", lemmas=["courier", "late"], actions=["wait courier"])
PLAIN_TAGS = Tags(sentiment="positive", sentiment_score=0.5, sentiment_cue="VADER +0.50", emotions=["délice"],
                  pain=False, pain_category="ignored when there is no pain")


def _stage(db, tags: list[Tags], sha256: str = "sha") -> int:
    source = Source(path="answers.csv", kind="survey", title="answers", metadata={"note": "ünïcode"})
    utterances = [Utterance(text=f"Answer {n}.", speaker=f"R{n}", location=f"row {n + 2}",
                            metadata={"segment": "famille", "nps": n}) for n in range(len(tags))]
    staged = StagedSource(db, source)
    try:
        staged.add((u, [TaggedStatement(Statement(u.text, n, 0, len(u.text)), t)])
                   for n, (u, t) in enumerate(zip(utterances, tags)))
        with db.atomic():
            return staged.commit(sha256, None)
    finally:
        staged.drop()


def test_every_automatic_tag_is_stored_with_its_cue_origin_and_time(fresh_db):
    source_id = _stage(fresh_db, [MODEL_TAGS, PLAIN_TAGS])
    imported_at = fresh_db["sources"].get(source_id)["imported_at"]
    rows = fresh_db.execute("select statement_id, dimension, value, origin, confidence, cue, coder, created_at, "
                            "correction_id, superseded_by from tags order by id").fetchall()
    assert rows == [
        (1, "stage", "delivery", "rule", 0.625, "courier", None, imported_at, None, None),
        (1, "touchpoint", "app", "rule", None, "app", None, imported_at, None, None),
        (1, "touchpoint", "courier", "model", None, "model touchpoints", None, imported_at, None, None),
        (1, "emotion", "frustration", "model", None, "model goemotions_linear", None, imported_at, None, None),
        (1, "sentiment", "negative", "rule", -0.61234, "VADER compound -0.612", None, imported_at, None, None),
        (1, "pain", "yes", "rule", None, "late again", None, imported_at, None, None),
        (1, "pain_category", "delivery", "rule", None, "late again", None, imported_at, None, None),
        (2, "emotion", "délice", "rule", None, None, None, imported_at, None, None),
        (2, "sentiment", "positive", "rule", 0.5, "VADER +0.50", None, imported_at, None, None),
        (2, "pain", "no", "rule", None, None, None, imported_at, None, None),
    ]


def test_effective_columns_and_metadata_keep_their_json(fresh_db):
    _stage(fresh_db, [MODEL_TAGS, PLAIN_TAGS])
    first, second = fresh_db.execute(
        "select s.touchpoints, s.emotions, s.actions, s.origin, s.sentiment_score, s.pain_category, s.lemmas, "
        "u.metadata from statements s join utterances u on u.id = s.utterance_id order by s.id").fetchall()
    assert first == ('["app", "courier"]', '["frustration"]', '["wait courier"]', "model", -0.6123, "delivery",
                     "courier late", '{"segment": "famille", "nps": 0}')
    assert second == ("[]", '["d\\u00e9lice"]', "[]", "rule", 0.5, None, "", '{"segment": "famille", "nps": 1}')


def test_retagging_writes_the_same_rows_an_import_does(fresh_db):
    _stage(fresh_db, [PLAIN_TAGS, PLAIN_TAGS])
    replace_auto_tags(fresh_db, [(1, MODEL_TAGS)])
    retagged = fresh_db.execute("select dimension, value, origin, confidence, cue, coder, correction_id "
                                "from tags where statement_id = 1 order by id").fetchall()
    _stage(fresh_db, [MODEL_TAGS], sha256="another file")
    imported = fresh_db.execute("select dimension, value, origin, confidence, cue, coder, correction_id "
                                "from tags where statement_id = 3 order by id").fetchall()
    assert retagged == imported and len(imported) == 7
    assert fresh_db.execute("select touchpoints, origin from statements where id = 1").fetchone() == (
        '["app", "courier"]', "model")


def test_remembered_code_lists_are_exactly_json_dumps():
    for codes in (["trust"], ["délice", "ok"], [True], [1], [1.0], ["1"], [], ["a\"b"], [["nested"]]):
        assert code_list_json(codes) == json.dumps(codes)
        assert code_list_json(codes) == json.dumps(codes)  # and again, from memory where remembered
