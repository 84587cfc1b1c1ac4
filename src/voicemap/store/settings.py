"""Project settings: small key/value defaults stored in the project database.

A setting made once (say, "always redact quotes") must hold for every teammate and
every front end that opens the same study, so it lives in the database, not in a
user's config file.
"""

from __future__ import annotations

from sqlite_utils import Database

from voicemap.store.db import utc_now


def get_setting(db: Database, key: str, default: str | None = None) -> str | None:
    if "settings" not in db.table_names():
        return default
    row = db.execute("select value from settings where key = ?", [key]).fetchone()
    return row[0] if row else default


def set_setting(db: Database, key: str, value: str | None) -> None:
    """Store a value; None removes the setting (back to the default)."""
    with db.atomic():
        if value is None:
            db.execute("delete from settings where key = ?", [key])
        else:
            db["settings"].upsert({"key": key, "value": value, "updated_at": utc_now()}, pk="key")


def all_settings(db: Database) -> dict[str, str]:
    if "settings" not in db.table_names():
        return {}
    return {row["key"]: row["value"] for row in db.query("select key, value from settings order by key")}
