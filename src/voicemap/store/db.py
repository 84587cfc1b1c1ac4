"""Open a project database safely: WAL, a busy timeout, and migrations with a backup first.

WAL lets the TUI read while a teammate's `voicemap import` writes; the busy timeout
makes a writer wait rather than fail, and transactions take the write lock when they
begin so they can wait at all. Before migrating a database that already holds data, a
copy is written beside it, so an upgrade can never cost a study.
"""

from __future__ import annotations

import random
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlite_utils import Database

from voicemap.store.schema import apply_migrations, pending_migrations

BUSY_TIMEOUT_MS = 30_000
LOCK_ATTEMPTS = 8
T = TypeVar("T")


class VoicemapDatabase(Database):
    """A sqlite-utils Database whose transactions take the write lock when they begin.

    sqlite-utils begins with a plain (deferred) BEGIN: a transaction that reads first
    and writes later (a human code, a re-import) then fails at once with "database is
    locked" when another process committed in between, because SQLite cannot let it
    wait. BEGIN IMMEDIATE waits its turn up front, within the busy timeout, instead.
    """

    @contextmanager
    def atomic(self) -> Iterator["VoicemapDatabase"]:
        if self.conn.in_transaction:  # nested: a savepoint, as sqlite-utils does
            with super().atomic():
                yield self
            return
        retry_locked(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _backup_before_migration(path: Path, db: Database) -> Path:
    """Copy the database aside; through a second connection, as ours holds the write lock."""
    backup = path.with_name(f"{path.name}.{datetime.now().strftime('%Y%m%d-%H%M%S')}.bak")
    counter = 1
    while backup.exists():
        counter += 1
        backup = path.with_name(f"{path.name}.{datetime.now().strftime('%Y%m%d-%H%M%S')}-{counter}.bak")
    source = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    target = sqlite3.connect(str(backup))
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return backup


def open_db(path: str | Path | None = None, migrate: bool = True) -> Database:
    """Open (creating if needed) and migrate a voicemap database; `None` means in memory."""
    if path is None or str(path) == ":memory:":
        db = VoicemapDatabase(memory=True)
    else:
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        db = VoicemapDatabase(str(path))
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        retry_locked(db.enable_wal)
    db.execute("PRAGMA foreign_keys = ON")
    if migrate and pending_migrations(db):
        on_disk = None if path is None or str(path) == ":memory:" else Path(path)
        retry_locked(lambda: _migrate(db, on_disk))
    return db


def _migrate(db: Database, path: Path | None) -> None:
    """Back up, then migrate, holding the write lock: processes opening one database at once take turns."""
    db.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for other writers
    try:
        if pending_migrations(db):  # another process may have migrated it while we waited
            if path is not None and "sources" in db.table_names():
                _backup_before_migration(path, db)
            apply_migrations(db)
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise


def retry_locked(action: Callable[[], T], attempts: int = LOCK_ATTEMPTS) -> T:
    """Run `action`, starting over while SQLite answers "database is locked".

    The busy timeout makes most waits invisible, but SQLite refuses at once, without
    waiting, when waiting could deadlock (two connections upgrading a read to a write,
    or switching a new file to WAL together); then the only cure is to try again.
    """
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if attempt == attempts or not ("locked" in str(exc) or "busy" in str(exc)):
                raise
            time.sleep(random.uniform(0.05, 0.1) * attempt)
    raise AssertionError("unreachable")
