"""Backups and restores through SQLite's online backup API, never a file copy.

A plain copy of a database in WAL mode can miss committed data still in the -wal
file, or catch a page mid-write; the backup API copies a consistent snapshot even
while the TUI or an import is writing. A backup is written to a temporary name and
renamed when complete and checked, so a crash never leaves a half backup under the
real name. A restore checks the backup first, keeps a copy of the current database,
then copies the backup in through the same API, so open readers see the switch.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from voicemap.store.integrity import file_problems

PAGES_PER_STEP = 1024  # copy in slices so writers are never blocked for long
BUSY_TIMEOUT_S = 30


class BackupError(Exception):
    """A backup or restore that cannot go ahead; str() is one line saying why."""


@dataclass
class RestoreResult:
    restored_from: Path
    database: Path
    previous_copy: Path | None  # the database as it was before the restore (None if there was none)
    migrated: list[str] = field(default_factory=list)  # migrations applied to bring an older backup forward


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _free_name(path: Path) -> Path:
    """`path`, or `path` with -2, -3... when a backup of the same second already exists."""
    candidate, counter = path, 1
    while candidate.exists():
        counter += 1
        candidate = path.with_name(f"{path.stem}-{counter}{path.suffix}")
    return candidate


def default_backup_path(db_path: str | Path) -> Path:
    """`study.db` -> `study-backup-20260311-142501.db`, beside the database."""
    db_path = Path(db_path)
    return _free_name(db_path.with_name(f"{db_path.stem}-backup-{_stamp()}{db_path.suffix or '.db'}"))


def _connect(path: Path) -> sqlite3.Connection:
    """An existing database, read-write so closing it can tidy its -wal file (we only read)."""
    return sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)


def _copy(source: sqlite3.Connection, target_path: Path, single_file: bool) -> None:
    target = sqlite3.connect(str(target_path), timeout=BUSY_TIMEOUT_S)
    try:
        source.backup(target, pages=PAGES_PER_STEP)
        if single_file:  # a backup is one self-contained file, safe to copy anywhere
            target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()


def backup_database(db_path: str | Path, target: str | Path | None = None) -> Path:
    """Write a consistent copy of the database at `db_path`; returns where it went."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise BackupError(f"{db_path}: no database here to back up")
    target = Path(target) if target else default_backup_path(db_path)
    if target.exists():
        raise BackupError(f"{target}: already exists; choose another name (backups never overwrite)")
    if target.resolve() == db_path.resolve():
        raise BackupError(f"{target}: is the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = _connect(db_path)
    try:
        _copy(source, partial, single_file=True)
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{db_path}: cannot be read for a backup ({exc})") from None
    finally:
        source.close()
    problems = file_problems(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{db_path}: the copy failed its check ({problems[0]}); run `voicemap restore` "
                          "from an earlier backup")
    os.replace(partial, target)
    return target


def _unknown_migrations(backup: Path) -> list[str]:
    """Migrations recorded in the backup that this voicemap does not know (made by a newer version)."""
    from sqlite_utils import Database

    from voicemap.store.schema import SCHEMA_SET, migrations

    known = {m.name for m in migrations.pending(Database(memory=True))}  # all of them, on an empty database
    conn = _connect(backup)
    try:
        rows = conn.execute("select name from _sqlite_migrations where migration_set = ?", [SCHEMA_SET]).fetchall()
    except sqlite3.DatabaseError:
        rows = []
    finally:
        conn.close()
    return [name for (name,) in rows if name not in known]


def check_backup(backup: str | Path) -> list[str]:
    """Why a file cannot be restored (empty list: it can)."""
    backup = Path(backup)
    problems = file_problems(backup)
    if problems:
        return problems
    newer = _unknown_migrations(backup)
    if newer:
        return [f"it was made by a newer voicemap (schema changes {', '.join(newer)}); upgrade voicemap first"]
    return []


def restore_database(backup: str | Path, db_path: str | Path) -> RestoreResult:
    """Replace the database at `db_path` with `backup`, keeping a copy of what was there."""
    from voicemap.store.db import open_db
    from voicemap.store.schema import pending_migrations

    backup, db_path = Path(backup), Path(db_path)
    if db_path.exists() and backup.resolve() == db_path.resolve():
        raise BackupError(f"{backup}: is the database itself")
    problems = check_backup(backup)
    if problems:
        raise BackupError(f"{backup}: cannot be restored: {problems[0]}")
    previous = None
    if db_path.exists():
        previous = _free_name(db_path.with_name(f"{db_path.stem}-before-restore-{_stamp()}{db_path.suffix or '.db'}"))
        backup_database(db_path, previous)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    source = _connect(backup)
    try:
        _copy(source, db_path, single_file=False)
    except sqlite3.DatabaseError as exc:
        kept = f"; the previous database is kept at {previous}" if previous else ""
        raise BackupError(f"{db_path}: restore failed ({exc}){kept}") from None
    finally:
        source.close()
    db = open_db(db_path, migrate=False)
    migrated = pending_migrations(db)
    db.close()
    if migrated:
        open_db(db_path).close()  # an older backup is brought forward, with its own backup first
    return RestoreResult(backup, db_path, previous, migrated)
