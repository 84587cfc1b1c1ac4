"""SQLite persistence: schema and migrations, writing imports, reading and coding statements."""

from voicemap.store.db import open_db, utc_now

__all__ = ["open_db", "utc_now"]
