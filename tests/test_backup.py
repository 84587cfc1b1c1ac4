"""`voicemap backup` and `voicemap restore`: a consistent copy while in use, and a checked way back."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from voicemap.cli import main
from voicemap.store import open_db
from voicemap.store.backup import BackupError, backup_database, restore_database
from voicemap.store.coding import set_human_code
from voicemap.store.integrity import database_problems, file_problems

FIXTURE_001 = Path(__file__).parent / "data" / "voicemap_schema_001.db"


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(str(path))
    try:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("sources", "statements", "tags", "corrections")}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory, tagger, sample_dir) -> Path:
    from voicemap.importer import import_paths

    path = tmp_path_factory.mktemp("backup") / "imported.db"
    db = open_db(path)
    assert not import_paths(db, sorted((sample_dir / "interviews").glob("*.txt"))[:2], tagger=tagger).failed
    db.close()
    return path


@pytest.fixture
def study(tmp_path, imported) -> Path:
    """A study with a human code, its connection left open (committed data still in the -wal file)."""
    path = tmp_path / "study.db"
    shutil.copyfile(imported, path)
    db = open_db(path)
    set_human_code(db, db.execute("select min(id) from statements").fetchone()[0], "stage", "support", coder="ana")
    yield path
    db.close()


def test_backup_is_a_whole_single_file_even_while_in_use(study, tmp_path):
    writer = sqlite3.connect(str(study), timeout=30)
    writer.execute("BEGIN IMMEDIATE")  # a teammate's import mid-transaction
    writer.execute("delete from tags")
    target = backup_database(study, tmp_path / "copy.db")
    writer.execute("ROLLBACK")
    writer.close()
    assert target == tmp_path / "copy.db"
    assert counts(target) == counts(study)  # committed data only, including what sat in the -wal file
    assert file_problems(target) == []
    assert not list(tmp_path.glob("copy.db-*")) and not list(tmp_path.glob(".copy.db*"))  # one file, no partial left
    assert sqlite3.connect(str(target)).execute("pragma journal_mode").fetchone()[0] == "delete"


def test_backup_never_overwrites_and_needs_a_database(study, tmp_path):
    existing = tmp_path / "taken.db"
    existing.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup_database(study, existing)
    assert existing.read_text() == "keep me"
    with pytest.raises(BackupError, match="no database"):
        backup_database(tmp_path / "missing.db", tmp_path / "out.db")


def test_restore_keeps_the_current_database_and_open_readers_see_the_backup(study, tmp_path):
    saved = backup_database(study, tmp_path / "saved.db")
    before = counts(study)
    reader = open_db(study)  # the TUI, open during the restore
    reader.execute("delete from corrections")  # work done after the backup...
    reader.execute("delete from tags where origin = 'human'")
    reader.conn.commit()
    assert counts(study) != before
    result = restore_database(saved, study)
    assert result.previous_copy and result.previous_copy.exists()
    assert counts(result.previous_copy) != before  # ...is kept, not lost
    assert counts(study) == before
    assert reader.execute("select count(*) from corrections").fetchone()[0] == before["corrections"]
    assert database_problems(reader) == []


@pytest.mark.parametrize("damage", ["garbage", "truncated", "not voicemap", "half-imported", "newer voicemap"])
def test_restore_refuses_a_bad_backup_and_changes_nothing(study, tmp_path, damage):
    bad = tmp_path / "bad.db"
    if damage == "garbage":
        bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    elif damage == "truncated":
        backup_database(study, bad)
        bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 3])
    elif damage == "not voicemap":
        sqlite3.connect(str(bad)).execute("create table notes (text)").connection.commit()
    else:
        backup_database(study, bad)
        conn = sqlite3.connect(str(bad))
        if damage == "half-imported":
            conn.execute("delete from tags where statement_id in (select id from statements where source_id = 1)")
            conn.execute("delete from statements where source_id = 1 and idx > 3")
        else:
            conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) "
                         "values ('voicemap', '999_from_the_future', '2030-01-01')")
        conn.commit()
        conn.close()
    before = counts(study)
    with pytest.raises(BackupError, match="cannot be restored") as info:
        restore_database(bad, study)
    assert "\n" not in str(info.value)
    assert counts(study) == before
    assert not list(tmp_path.glob("study-before-restore-*"))


def test_restoring_an_old_backup_brings_it_up_to_date(tmp_path):
    old = tmp_path / "old-backup.db"
    shutil.copyfile(FIXTURE_001, old)
    result = restore_database(old, tmp_path / "fresh.db")
    assert result.previous_copy is None and result.migrated
    db = open_db(tmp_path / "fresh.db")
    assert database_problems(db) == []
    assert db.execute("select count(*) from tags where origin = 'human'").fetchone()[0] >= 3


def test_cli_backup_and_restore(study, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(study), "backup"])
    assert result.exit_code == 0, result.output
    backups = list(tmp_path.glob("study-backup-*.db"))
    assert len(backups) == 1 and str(backups[0]) in result.output and "coded by hand" in result.output
    result = runner.invoke(main, ["--db", str(study), "backup", "-o", str(tmp_path / "mine.db")])
    assert result.exit_code == 0 and (tmp_path / "mine.db").exists()

    result = runner.invoke(main, ["--db", str(study), "restore", str(backups[0])])
    assert result.exit_code == 0, result.output
    assert "Kept the database as it was in" in result.output and counts(study) == counts(backups[0])

    (tmp_path / "junk.db").write_text("not a database")
    result = runner.invoke(main, ["--db", str(study), "restore", str(tmp_path / "junk.db")])
    assert result.exit_code == 1 and "junk.db: cannot be restored: not an SQLite database file" in result.output
