"""Read statements with their effective codes and provenance, filtered in SQL.

Every front end (export, reports, the assistant, the TUI browser) reads through
`StatementFilter` + `select_statements`, so a filter means the same everywhere and
the work happens in SQLite (indexes, FTS5), not in Python loops.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlite_utils import Database

from voicemap.store.metadata import metadata_clause

BASE_SQL = """
select s.id, s.source_id, src.name as source, src.path as source_path, src.kind as source_kind,
       s.participant_id, p.label as participant, p.pseudonym, s.text, s.start, s.end, s.location,
       u.row_id, u.line, u.timestamp, u.question, u.metadata, u.speaker,
       s.rating, s.date, s.stage, s.stage_confidence, s.touchpoints, s.emotions, s.sentiment,
       s.sentiment_score, s.pain, s.pain_category, s.origin, s.lemmas, s.actions, s.utterance_id, s.idx
from statements s
join sources src on src.id = s.source_id
join utterances u on u.id = s.utterance_id
left join participants p on p.id = s.participant_id
"""


@dataclass
class StatementFilter:
    """Filters shared by export, reports, the assistant and the browser; None means any."""

    source: str | None = None
    participant: str | None = None
    stage: str | None = None
    touchpoint: str | None = None
    emotion: str | None = None
    pain: bool | None = None
    pain_category: str | None = None
    sentiment: str | None = None
    search: str | None = None
    statement_ids: list[int] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    extra_where: list[tuple[str, list[Any]]] = field(default_factory=list)

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        # Sources and participants are looked up first, so the statements are found through
        # their indexes (and a count needs no join), not by scanning every statement.
        if self.source:
            clauses.append("s.source_id in (select id from sources where name = ? or path = ? or cast(id as text) = ?)")
            params += [self.source] * 3
        if self.participant:
            clauses.append("s.participant_id in (select id from participants "
                           "where label = ? collate nocase or pseudonym = ? collate nocase)")
            params += [self.participant] * 2
        for column, value in (("stage", self.stage), ("pain_category", self.pain_category), ("sentiment", self.sentiment)):
            if value:
                clauses.append(f"s.{column} = ?")
                params.append(value)
        for column, value in (("touchpoints", self.touchpoint), ("emotions", self.emotion)):
            if value:
                clause, clause_params = code_list_clause(column, [value])
                clauses.append(clause)
                params += clause_params
        if self.pain is not None:
            clauses.append("s.pain = ?")
            params.append(int(self.pain))
        if self.search:
            clauses.append("s.id in (select rowid from statements_fts where statements_fts match ?)")
            params.append(fts_query(self.search))
        if self.statement_ids is not None:
            clauses.append(f"s.id in ({','.join('?' * len(self.statement_ids))})" if self.statement_ids else "0")
            params += list(self.statement_ids)
        for key, value in self.metadata.items():
            clause, clause_params = metadata_clause(key, value)
            clauses.append(clause)
            params += clause_params
        for clause, clause_params in self.extra_where:
            clauses.append(clause)
            params += clause_params
        return (" where " + " and ".join(clauses)) if clauses else "", params


_PLAIN_CODE = re.compile(r'^[ !#-\[\]-~]+$')  # printable ASCII but '"' and '\\': written as is inside JSON


def code_list_clause(column: str, values: list[str]) -> tuple[str, list[Any]]:
    """A WHERE clause on statements `s`: the JSON list in `column` holds any of `values`.

    `instr` on the stored JSON rules out most rows without parsing them (a code written
    verbatim in the list text is a necessary condition); `json_each` then decides, so the
    result is exactly that of `json_each` alone, several times faster on a large study.
    """
    marks = ",".join("?" * len(values))
    exact = f"exists (select 1 from json_each(s.{column}) where value in ({marks}))"
    if not values or not all(isinstance(v, str) and _PLAIN_CODE.match(v) for v in values):
        return exact, list(values)
    quick = " or ".join(f"instr(s.{column}, ?)" for _ in values)
    return f"({quick}) and {exact}", list(values) + list(values)


def fts_query(text: str) -> str:
    """Quote user words so FTS5 syntax characters in a question cannot break the query."""
    words = re.findall(r"[\w']+", text)
    return " ".join('"' + w.replace('"', "") + '"' for w in words) or '""'


def decode_row(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("touchpoints", "emotions", "actions"):
        if key in row:
            value = row[key]
            # Most statements have no emotion or action: skip the parser for "[]" (reports read 100k rows).
            row[key] = [] if not value or value == "[]" else json.loads(value)
    if "metadata" in row:
        value = row["metadata"]
        row["metadata"] = {} if not value or value == "{}" else json.loads(value)
    if "pain" in row:
        row["pain"] = bool(row["pain"])
    return row


JOINS = {"src": " join sources src on src.id = s.source_id", "u": " join utterances u on u.id = s.utterance_id",
         "p": " left join participants p on p.id = s.participant_id"}
_ALIAS = re.compile(r"\b(src|u|p)\.")


def joins_for(where: str) -> str:
    """Only the joins a WHERE clause reads: every statement has its source and utterance,
    so leaving the others out changes no count, and on 100k statements saves a lookup per row."""
    used = set(_ALIAS.findall(where))
    return "".join(join for alias, join in JOINS.items() if alias in used)


def _statements_only(order: str) -> bool:
    """Whether an ORDER BY reads nothing but columns of statements (`s.id`, `s.id * 7 desc`)."""
    names = re.findall(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?", order)
    return all(n.startswith("s.") or n.lower() in ("asc", "desc", "collate", "nocase") for n in names)


def select_statements(db: Database, flt: StatementFilter | None = None, order: str = "s.id",
                      limit: int | None = None, offset: int = 0) -> Iterator[dict[str, Any]]:
    where, params = (flt or StatementFilter()).where()
    if limit is not None and _statements_only(order):
        # A page: pick its ids from statements alone, then join only those rows. With an
        # OFFSET SQLite would otherwise build (and throw away) every joined row before it.
        page = (f"select s.id from statements s{joins_for(where)}{where} order by {order} "
                f"limit {int(limit)} offset {int(offset)}")
        sql = BASE_SQL + f" where s.id in ({page}) order by {order}"
    else:
        sql = BASE_SQL + where + f" order by {order}"
        if limit is not None:
            sql += f" limit {int(limit)} offset {int(offset)}"
    for row in db.query(sql, params):
        yield decode_row(row)


def count_statements(db: Database, flt: StatementFilter | None = None) -> int:
    where, params = (flt or StatementFilter()).where()
    return db.execute("select count(*) from statements s" + joins_for(where) + where, params).fetchone()[0]


def cite(row: dict[str, Any], pseudonymise: bool = False) -> str:
    """The citation a quote carries: source, participant and where in the source.

    Pseudonymised, the participant is their pseudonym (P01...) and the source its id,
    since file names are often the participant's name ("interview_maria.txt").
    """
    if pseudonymise:
        return f"source {row.get('source_id', '?')}, {row.get('pseudonym') or 'participant'}, {row['location']}"
    who = row.get("participant") or row.get("speaker") or "unknown"
    return f"{row['source']}, {who}, {row['location']}"


def study_overview(db: Database) -> dict[str, Any]:
    """Counts and date range for the 'study at a glance' block."""
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    # Each bound is one look-up in the date index; `date > ''` is `date is not null and date != ''` for a text column.
    dates = [one(f"select {bound}(date) from statements where date > ''") for bound in ("min", "max")]
    kinds = {r["kind"]: r["n"] for r in db.query("select kind, count(*) as n from sources group by kind")}
    return {
        "sources": one("select count(*) from sources"),
        "source_kinds": kinds,
        "participants": one("select count(distinct participant_id) from statements"),
        "statements": one("select count(*) from statements"),
        "pain_statements": one("select count(*) from statements where pain = 1"),
        "human_coded": one("select count(distinct statement_id) from tags where origin = 'human'"),
        "date_min": dates[0], "date_max": dates[1],
    }


def context_turns(db: Database, utterance_id: int, before: int = 2, after: int = 2) -> list[dict[str, Any]]:
    """The turns around an utterance, for reading a statement in context."""
    row = db.execute("select source_id, idx from utterances where id = ?", [utterance_id]).fetchone()
    if row is None:
        return []
    return list(db.query(
        "select id, idx, speaker, is_customer, text, location from utterances where source_id = ? "
        "and idx between ? and ? order by idx", [row[0], row[1] - before, row[1] + after]))
