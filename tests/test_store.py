"""Storage: migrations, one-transaction imports, idempotent re-import, human codes that survive."""

from __future__ import annotations

import json
import sqlite3

import pytest

from voicemap.importer import import_paths
from voicemap.store import open_db
from voicemap.store.coding import CodingError, set_human_code, undo_last_correction
from voicemap.store.schema import migrations
from voicemap.store.write import replace_auto_tags

INTERVIEW = """Interviewer: How was the first delivery?
Maria: The box arrived two days late and the milk had gone off. I had to call support three times.
Interviewer: And the app?
Maria: The app is lovely to use. I recommend it to my friends all the time.
"""


@pytest.fixture
def interview(tmp_path):
    path = tmp_path / "maria.txt"
    path.write_text(INTERVIEW, encoding="utf-8")
    return path


def test_migrations_create_tables_columns_and_fts(fresh_db):
    applied = {m.name for m in migrations.applied(fresh_db)}
    assert "001_core_tables" in applied
    for table in ("sources", "participants", "utterances", "statements", "tags", "imports", "corrections"):
        assert table in fresh_db.table_names()
    assert {"dimension", "value", "origin", "confidence", "coder", "created_at"} <= set(fresh_db["tags"].columns_dict)
    assert fresh_db["statements"].detect_fts() == "statements_fts"
    assert not migrations.pending(fresh_db)


def test_import_stores_provenance_and_tags(fresh_db, tagger, interview):
    report = import_paths(fresh_db, [interview], tagger=tagger)
    assert [f.status for f in report.files] == ["imported"]
    rows = list(fresh_db.query("select s.text, s.location, p.label from statements s join participants p on p.id = s.participant_id"))
    assert all(r["label"] == "Maria" for r in rows)  # interviewer turns are not statements
    assert rows[0]["location"] == "line 2"
    assert len(rows) == 4
    origins = {r["origin"] for r in fresh_db.query("select distinct origin from tags")}
    assert origins and origins <= {"rule", "model"}  # nothing claims to be human before a researcher codes
    for row in fresh_db.query("select origin, cue from tags"):
        assert row["origin"] == ("model" if (row["cue"] or "").startswith("model ") else "rule")
    # offsets point into the utterance text exactly
    for row in fresh_db.query("select s.text, s.start, s.end, u.text as utext from statements s join utterances u on u.id = s.utterance_id"):
        assert row["utext"][row["start"]:row["end"]] == row["text"]


def test_fts_finds_statements(fresh_db, tagger, interview):
    import_paths(fresh_db, [interview], tagger=tagger)
    hits = list(fresh_db.query("select s.text from statements s join statements_fts f on f.rowid = s.id "
                               "where statements_fts match 'deliveries'"))  # porter stemming
    assert len(hits) == 0 or "delivery" in hits[0]["text"]
    hits = list(fresh_db.query("select rowid from statements_fts where statements_fts match 'recommend'"))
    assert len(hits) == 1


def test_reimport_same_file_is_a_no_op(fresh_db, tagger, interview):
    import_paths(fresh_db, [interview], tagger=tagger)
    before = fresh_db.execute("select count(*) from statements").fetchone()[0]
    report = import_paths(fresh_db, [interview], tagger=tagger)
    assert report.files[0].status == "unchanged"
    assert fresh_db.execute("select count(*) from statements").fetchone()[0] == before
    assert fresh_db.execute("select count(*) from sources").fetchone()[0] == 1


def test_changed_file_replaces_source_and_keeps_human_codes(fresh_db, tagger, interview):
    import_paths(fresh_db, [interview], tagger=tagger)
    target = fresh_db.execute("select id from statements where text like '%lovely%'").fetchone()[0]
    set_human_code(fresh_db, target, "stage", "usage")
    interview.write_text(INTERVIEW + "Maria: The price went up without warning.\n", encoding="utf-8")
    report = import_paths(fresh_db, [interview], tagger=tagger)
    assert report.files[0].status == "replaced"
    assert fresh_db.execute("select count(*) from sources").fetchone()[0] == 1
    row = fresh_db.execute("select stage, origin from statements where text like '%lovely%'").fetchone()
    assert row == ("usage", "human")


def test_failed_file_leaves_database_as_it_was(tmp_path, tagger, interview):
    db = open_db(tmp_path / "study.db")
    import_paths(db, [interview], tagger=tagger)
    snapshot = {t: db[t].count for t in ("sources", "statements", "tags", "utterances")}
    bad = tmp_path / "bad.csv"
    bad.write_text("id,answer\n", encoding="utf-8")
    report = import_paths(db, [bad], tagger=tagger)
    assert report.files[0].status == "failed" and "bad.csv" in report.files[0].error
    assert {t: db[t].count for t in snapshot} == snapshot


def test_error_inside_transaction_rolls_back_whole_file(tmp_path, tagger, interview, monkeypatch):
    db = open_db(tmp_path / "study.db")
    import voicemap.store.write as write

    original = write.tag_rows
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return original(*args, **kwargs)

    monkeypatch.setattr(write, "tag_rows", failing)
    report = import_paths(db, [interview], tagger=tagger)
    assert report.files[0].status == "failed"
    assert report.files[0].error.startswith(f"{interview}: could not be imported (OperationalError: disk I/O error")
    assert "\n" not in report.files[0].error
    for table in ("sources", "statements", "utterances", "tags", "participants"):
        assert db[table].count == 0, table


def test_human_code_wins_and_survives_retagging(fresh_db, tagger, interview):
    import_paths(fresh_db, [interview], tagger=tagger)
    statement_id, text = fresh_db.execute("select id, text from statements where text like '%box arrived%'").fetchone()
    set_human_code(fresh_db, statement_id, "emotion", ["frustration", "disappointment"], coder="ana")
    set_human_code(fresh_db, statement_id, "pain_category", "delivery", coder="ana")
    # automatic re-tagging of every statement
    rows = list(fresh_db.query("select id, text from statements"))
    replace_auto_tags(fresh_db, zip([r["id"] for r in rows], tagger.tag_texts([r["text"] for r in rows])))
    row = fresh_db.execute("select emotions, pain_category, origin from statements where id = ?", [statement_id]).fetchone()
    assert json.loads(row[0]) == ["frustration", "disappointment"] and row[1] == "delivery" and row[2] == "human"
    human = list(fresh_db.query("select coder, created_at from tags where origin = 'human' and statement_id = ?", [statement_id]))
    assert human and all(h["coder"] == "ana" and h["created_at"] for h in human)


def test_undo_restores_previous_codes(fresh_db, tagger, interview):
    import_paths(fresh_db, [interview], tagger=tagger)
    statement_id, stage = fresh_db.execute("select id, stage from statements where text like '%recommend%'").fetchone()
    set_human_code(fresh_db, statement_id, "stage", "retention")
    set_human_code(fresh_db, statement_id, "stage", "support")
    undo_last_correction(fresh_db)
    assert fresh_db.execute("select stage from statements where id = ?", [statement_id]).fetchone()[0] == "retention"
    undo_last_correction(fresh_db)
    assert fresh_db.execute("select stage, origin from statements where id = ?", [statement_id]).fetchone()[0] == stage
    assert fresh_db.execute("select origin from statements where id = ?", [statement_id]).fetchone()[0] != "human"


def test_coding_rejects_unknown_dimension_and_statement(fresh_db):
    with pytest.raises(CodingError, match="unknown dimension"):
        set_human_code(fresh_db, 1, "colour", "red")
    with pytest.raises(CodingError, match="no statement"):
        set_human_code(fresh_db, 999, "stage", "usage")


def test_db_path_from_environment(tmp_path, monkeypatch):
    from voicemap.settings import default_db_path

    monkeypatch.setenv("VOICEMAP_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("VOICEMAP_DB")
    assert str(default_db_path()) == "voicemap.db"
