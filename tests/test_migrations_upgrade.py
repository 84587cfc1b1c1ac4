"""A study made by the first voicemap opens in today's voicemap: migrated, backed up first, nothing lost.

`tests/data/voicemap_schema_001.db` was written by voicemap when only the migration
`001_core_tables` existed (the later ones held back with `Migrations.apply(stop_before=...)`):
one interview and one survey export, imported and tagged, with human codes by two
coders and one undone correction. It is never modified; tests work on a copy.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from voicemap.store import open_db
from voicemap.store.integrity import database_problems, file_problems
from voicemap.store.query import StatementFilter, count_statements, select_statements
from voicemap.store.schema import migrations

FIXTURE = Path(__file__).parent / "data" / "voicemap_schema_001.db"
CORE_TABLES = ("imports", "sources", "participants", "utterances", "statements", "tags", "corrections")


def snapshot(db: Database) -> dict:
    """Everything a researcher would miss: counts, every human code, the log, the effective codes."""
    return {
        "counts": {t: db[t].count for t in CORE_TABLES},
        "human": sorted(tuple(r) for r in db.execute(
            "select s.text, t.dimension, t.value, t.coder, t.created_at, t.superseded_by from tags t "
            "join statements s on s.id = t.statement_id where t.origin = 'human'").fetchall()),
        "corrections": [tuple(r) for r in db.execute("select * from corrections order by id").fetchall()],
        "effective": [tuple(r) for r in db.execute(
            "select id, text, stage, touchpoints, emotions, sentiment, pain, pain_category, origin "
            "from statements order by id").fetchall()],
    }


@pytest.fixture
def old_study(tmp_path) -> Path:
    path = tmp_path / "study.db"
    shutil.copyfile(FIXTURE, path)
    return path


def test_fixture_is_a_first_version_database():
    conn = sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("select name from _sqlite_migrations order by rowid")]
        human = conn.execute("select count(*) from tags where origin = 'human'").fetchone()[0]
    finally:
        conn.close()
    assert names == ["001_core_tables"]
    assert human >= 3


def test_old_database_is_backed_up_then_migrated_with_nothing_lost(old_study, tmp_path):
    before = snapshot(Database(sqlite3.connect(old_study)))
    registered = [m.name for m in migrations.pending(Database(memory=True))]
    assert len(registered) >= 1

    db = open_db(old_study)

    # every migration registered today applied, in order
    assert [m.name for m in migrations.applied(db)] == registered
    assert not migrations.pending(db)
    # a backup was written first, and it is the old database exactly
    backups = sorted(tmp_path.glob("study.db.*.bak"))
    assert len(backups) == 1, list(tmp_path.iterdir())
    assert file_problems(backups[0]) == []
    old = Database(sqlite3.connect(backups[0]))
    assert [m.name for m in migrations.applied(old)] == ["001_core_tables"]
    assert snapshot(old) == before
    # nothing lost
    assert snapshot(db) == before
    assert database_problems(db) == []


def test_migrated_database_works_everywhere(old_study):
    db = open_db(old_study)
    rows = list(select_statements(db))
    assert len(rows) == count_statements(db) == db["statements"].count
    hits = list(select_statements(db, StatementFilter(search="refund")))  # FTS5 with porter stemming
    assert [r["text"] for r in hits] and all("refund" in r["text"].lower() for r in hits)
    coded = list(select_statements(db, StatementFilter(pain_category="subscription")))
    assert coded and coded[0]["origin"] == "human" and coded[0]["emotions"] == ["frustration"]
    from voicemap.export import export_statements

    out = io.StringIO()
    assert export_statements(db, "jsonl", out) == len(rows)
    assert {json.loads(line)["id"] for line in out.getvalue().splitlines()} == {r["id"] for r in rows}


def test_second_open_needs_no_backup(old_study, tmp_path):
    open_db(old_study).close()
    open_db(old_study).close()
    assert len(list(tmp_path.glob("study.db.*.bak"))) == 1


def test_new_human_codes_after_upgrade_keep_the_old_ones(old_study):
    from voicemap.store.coding import set_human_code, undo_last_correction

    db = open_db(old_study)
    before = snapshot(db)
    statement = db.execute("select id from statements where text like '%tacos%'").fetchone()[0]
    set_human_code(db, statement, "stage", "usage", coder="cai")
    undo_last_correction(db, coder="cai")
    assert snapshot(db)["human"] == before["human"]
