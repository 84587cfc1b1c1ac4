"""Effective codes: a current human code wins per dimension, then the automatic tags in the order written."""

from __future__ import annotations

import json

from study_builder import build_study
from voicemap.store.coding import refresh_effective, set_human_code, undo_last_correction

COLUMNS = "stage, touchpoints, emotions, sentiment, pain, pain_category, origin"


def effective(db, statement_id: int) -> tuple:
    row = db.execute(f"select {COLUMNS} from statements where id = ?", [statement_id]).fetchone()
    return (row[0], json.loads(row[1]), json.loads(row[2]), *row[3:])


def auto(db, statement_id: int, dimension: str, value, origin: str = "rule") -> None:
    db.execute("insert into tags (statement_id, dimension, value, origin) values (?, ?, ?, ?)",
               [statement_id, dimension, value, origin])


def test_effective_codes_follow_the_rules_for_many_statements_at_once(fresh_db):
    ids = build_study(fresh_db, [{"text": f"Statement number {i}."} for i in range(5)])
    fresh_db.execute("delete from tags")
    a, b, c, d, e = ids
    for statement_id in (a, b, c, d):
        auto(fresh_db, statement_id, "stage", "usage")
        auto(fresh_db, statement_id, "touchpoint", "website")
        auto(fresh_db, statement_id, "touchpoint", "mobile_app")
        auto(fresh_db, statement_id, "sentiment", "negative", "model")
        auto(fresh_db, statement_id, "pain", "yes")
        auto(fresh_db, statement_id, "pain_category", "delivery")
    set_human_code(fresh_db, a, "stage", "support", coder="ana")
    set_human_code(fresh_db, a, "stage", "retention", coder="ben")  # supersedes ana's code
    set_human_code(fresh_db, b, "emotion", [], coder="ana")  # "no emotion" is a code too
    set_human_code(fresh_db, b, "touchpoint", ["email", "phone"], coder="ana")
    set_human_code(fresh_db, d, "pain", "no", coder="ana")  # no pain point: no category either
    set_human_code(fresh_db, d, "sentiment", "positive", coder="ana")
    undo_last_correction(fresh_db, coder="ana")  # the sentiment code is gone again
    fresh_db.execute(f"update statements set stage = 'x', touchpoints = '[]', emotions = '[]', sentiment = 'x', "
                     f"pain = 7, pain_category = 'x', origin = 'x'")

    refresh_effective(fresh_db, [e, d, c, b, a, a])

    assert effective(fresh_db, a) == ("retention", ["website", "mobile_app"], [], "negative", 1, "delivery", "human")
    assert effective(fresh_db, b) == ("usage", ["email", "phone"], [], "negative", 1, "delivery", "human")
    assert effective(fresh_db, c) == ("usage", ["website", "mobile_app"], [], "negative", 1, "delivery", "model")
    assert effective(fresh_db, d) == ("usage", ["website", "mobile_app"], [], "negative", 0, None, "human")
    assert effective(fresh_db, e) == (None, [], [], None, 0, None, "rule")  # no tags at all


def test_refresh_rederives_what_the_import_wrote(sample_db, tmp_path):
    """Columns re-derived from the tags table, for a whole study at once, equal the ones the import wrote."""
    import sqlite3

    from voicemap.store import open_db

    path = tmp_path / "copy.db"
    target = sqlite3.connect(str(path))
    sample_db.conn.backup(target)
    target.close()
    db = open_db(path)
    ids = [r[0] for r in db.execute("select id from statements order by id")]
    imported = {statement_id: effective(db, statement_id) for statement_id in ids}
    db.execute("update statements set stage = null, touchpoints = '[]', emotions = '[]', sentiment = null, "
               "pain = 0, pain_category = null, origin = null")
    refresh_effective(db, ids)
    assert {statement_id: effective(db, statement_id) for statement_id in ids} == imported
    assert len(ids) > 500  # more than one chunk of the refresh
