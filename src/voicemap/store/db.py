"""Open a project database safely: WAL, a busy timeout, and migrations with a backup first.

WAL lets the TUI read while a teammate's `voicemap import` writes; the busy timeout
makes a writer wait rather than fail. Before migrating a database that already holds
data, a copy is written beside it, so an upgrade can never cost a study.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from voicemap.store.schema import apply_migrations, pending_migrations

BUSY_TIMEOUT_MS = 30_000


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _backup_before_migration(path: Path, db: Database) -> Path:
    backup = path.with_name(f"{path.name}.{datetime.now().strftime('%Y%m%d-%H%M%S')}.bak")
    target = sqlite3.connect(str(backup))
    with target:
        db.conn.backup(target)
    target.close()
    return backup


def open_db(path: str | Path | None = None, migrate: bool = True) -> Database:
    """Open (creating if needed) and migrate a voicemap database; `None` means in memory."""
    if path is None or str(path) == ":memory:":
        db = Database(memory=True)
    else:
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(str(path))
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    if migrate:
        pending = pending_migrations(db)
        if pending and path is not None and str(path) != ":memory:" and "sources" in db.table_names():
            _backup_before_migration(Path(path), db)
        apply_migrations(db)
    return db
