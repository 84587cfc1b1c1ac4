"""Survey columns and other per-answer metadata as indexed rows, so `segment=family` is a look-up.

An utterance keeps its metadata as the JSON of its source's columns; filtering with
`json_extract` over that reads and parses every row of the study (1.8 s for a comparison
of two segments on 100,000 statements). `statement_metadata` holds each statement's
top-level key/value pairs, filled at import and backfilled by migration
`005_metadata_index`, and indexed by key and value as filters compare them (value
case-insensitively), so a filter finds its statements through the index.

Values keep their JSON types (a number stays a number, exactly as `json_extract`
returns it), so a filter matches the same statements either way. Long free-text values
are left out, since nobody types them as a filter; a filter on one that long falls back
to `json_extract`.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

MAX_INDEXED_CHARS = 120
TABLE = "statement_metadata"

# The rows of statements matching `{where}` (s = statements, u = their utterances). Metadata
# that is not a JSON object (or not JSON at all) has no keys a filter could name: skipped.
_ROWS_SQL = """
insert or replace into statement_metadata (statement_id, key, value)
select s.id, j.key, j.value
from statements s join utterances u on u.id = s.utterance_id,
     json_each(case when u.metadata is null or u.metadata in ('', '{}') or not json_valid(u.metadata) then null
                    when json_type(u.metadata) = 'object' then u.metadata end) j
where {where} and j.type != 'null'
  and (j.type not in ('text', 'object', 'array') or length(j.value) <= %d)
""" % MAX_INDEXED_CHARS


def create_metadata_table(db: Database) -> None:
    """The table and its look-up index (called by migration 005)."""
    db.execute(f"""
        create table if not exists {TABLE} (
            statement_id integer not null references statements (id) on delete cascade,
            key text not null,
            value,
            primary key (statement_id, key)
        ) without rowid""")
    db.execute(f"create index if not exists idx_{TABLE}_key_value on {TABLE} (key, value collate nocase)")


def index_source_metadata(db: Database, source_id: int) -> None:
    """Index the metadata of one source's statements (at import, inside its transaction)."""
    db.execute(_ROWS_SQL.replace("{where}", "s.source_id = ?"), [source_id])


def index_all_metadata(db: Database) -> None:
    """Index every statement's metadata (the backfill of an existing study)."""
    db.execute(_ROWS_SQL.replace("{where}", "1"))


def unindex_source_metadata(db: Database, source_id: int) -> None:
    """Forget one source's rows (before its statements are deleted)."""
    db.execute(f"delete from {TABLE} where statement_id in (select id from statements where source_id = ?)",
               [source_id])


def metadata_clause(key: str, value: Any) -> tuple[str, list[Any]]:
    """A WHERE clause on statements `s`: its utterance's metadata `key` equals `value` (any case).

    The same statements as `json_extract(u.metadata, '$."key"') = value collate nocase`,
    found through the index; a value longer than any indexed one needs the JSON itself.
    """
    if isinstance(value, str) and len(value) > MAX_INDEXED_CHARS:
        return ("s.utterance_id in (select id from utterances where json_extract(metadata, ?) = ? collate nocase)",
                [f'$."{key}"', value])
    return (f"s.id in (select statement_id from {TABLE} where key = ? and value = ? collate nocase)", [key, value])
