"""Is this database whole? The checks behind `voicemap restore` and the crash tests.

SQLite's own checks prove the file is not corrupt; the voicemap checks prove that no
source is half-imported (every source holds exactly the utterances and statements it
recorded, every statement has its automatic codes) and that nothing points at a row
that is gone. Problems come back as readable lines, so a restore can refuse a bad
backup and say why.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

SHOWN_PROBLEMS = 10
CORE_TABLES = ("sources", "utterances", "statements", "tags", "participants", "corrections", "imports")

# (what is wrong, a query counting the rows it is wrong for)
ORPHAN_CHECKS = (
    ("utterances of a missing source", "select count(*) from utterances where source_id not in (select id from sources)"),
    ("statements of a missing source", "select count(*) from statements where source_id not in (select id from sources)"),
    ("statements of a missing utterance",
     "select count(*) from statements where utterance_id not in (select id from utterances)"),
    ("statements whose utterance belongs to another source",
     "select count(*) from statements s join utterances u on u.id = s.utterance_id where u.source_id != s.source_id"),
    ("tags of a missing statement", "select count(*) from tags where statement_id not in (select id from statements)"),
    ("corrections of a missing statement",
     "select count(*) from corrections where statement_id not in (select id from statements)"),
    ("statements of a missing participant", "select count(*) from statements where participant_id is not null "
                                            "and participant_id not in (select id from participants)"),
    ("statements without automatic sentiment and pain codes",
     "select count(*) from statements s where (select count(distinct dimension) from tags t where t.statement_id = s.id "
     "and t.origin != 'human' and t.dimension in ('sentiment', 'pain')) != 2"),
    ("human codes of an undone or missing correction",
     "select count(*) from tags where origin = 'human' and correction_id is not null and correction_id not in "
     "(select id from corrections where undone_at is null)"),
)


def sqlite_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's integrity and foreign-key checks; an empty list means the file is sound."""
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [f"not a readable SQLite database ({exc})"]
    if rows != ["ok"]:
        return [f"integrity check: {row}" for row in rows[:SHOWN_PROBLEMS]]
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    return [f"foreign key check: {len(broken)} rows point at missing rows (first in table {broken[0][0]})"] if broken else []


def voicemap_problems(db: Database) -> list[str]:
    """The voicemap invariants: whole sources, no orphans, a search index that matches the text."""
    tables = set(db.table_names())
    missing = [t for t in CORE_TABLES if t not in tables]
    if missing:
        return [f"not a voicemap database (no {', '.join(missing)} table)"]
    problems = []
    for source_id, name, utterances, statements, have_utterances, have_statements in db.execute(
        "select s.id, s.name, s.utterances, s.statements, "
        "(select count(*) from utterances u where u.source_id = s.id), "
        "(select count(*) from statements t where t.source_id = s.id) from sources s"
    ).fetchall():
        if (utterances, statements) != (have_utterances, have_statements):
            problems.append(f"source {source_id} ({name}) is incomplete: {have_statements} of {statements} statements, "
                            f"{have_utterances} of {utterances} utterances")
    for what, sql in ORPHAN_CHECKS:
        count = db.execute(sql).fetchone()[0]
        if count:
            problems.append(f"{count} {what}")
    if "statements_fts" in tables:
        try:
            db.execute("insert into statements_fts(statements_fts, rank) values ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            if "readonly" not in str(exc):  # a write-protected file cannot run FTS5's check; the rest still counts
                problems.append(f"the search index does not match the statements ({exc})")
    return problems[:SHOWN_PROBLEMS]


def database_problems(db: Database) -> list[str]:
    """Everything wrong with a database, SQLite's checks first; empty means whole."""
    return sqlite_problems(db.conn) or voicemap_problems(db)


def file_problems(path: str | Path) -> list[str]:
    """Check a database file without changing its content (no migration, no journal-mode switch).

    Opened read-write only because FTS5's own check is spelt as an INSERT; it writes nothing.
    """
    path = Path(path)
    if not path.is_file():
        return [f"{path}: no such file"]
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return ["not an SQLite database file"]
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
    try:
        return database_problems(Database(conn))
    except sqlite3.DatabaseError as exc:
        return [f"not a readable SQLite database ({exc})"]
    finally:
        conn.close()
