"""Report figures counted in SQLite: grouped passes instead of every statement read into Python.

The journey map and the pitfall checks used to read every statement of the study (all
columns, four joins, JSON decoded) to count a handful of things: seconds on a
100,000-statement study. Here each figure is a GROUP BY over the effective codes in
`statements`, joining only what the filter reads; code lists are grouped as stored (a study
has few distinct lists) and spread over their codes.

Rankings keep the order `collections.Counter.most_common` gave over the rows: by count,
ties by first appearance in the rows' order, then by position in the statement's list.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any, Sequence

from sqlite_utils import Database

from voicemap.store.query import StatementFilter, joins_for

# Orders the reports read rows in: the map in statement id order, the pitfall checks in
# conversation order (source, turn, statement).
ID_ORDER = "s.id"
CONVERSATION_ORDER = "s.source_id, u.idx, s.idx"
# A pain point, as the filters and the overview read it (the flag is stored as 0 or 1): `pain = 1`
# finds the pain points through their index instead of reading every statement.
PAIN = "s.pain = 1"
NOT_PAIN = "coalesce(s.pain, 0) = 0"
# Pain points grouped by stage: `+` keeps SQLite from walking the whole stage index (to save
# sorting a few groups) when the pain index reaches the pain points directly (5 times faster).
PAIN_BY_STAGE = " group by +s.stage"


def json_list(column: str) -> str:
    """A JSON list column for `json_each`, with NULL and "" read as the empty list (as `decode_row` does)."""
    return f"coalesce(nullif(s.{column}, ''), '[]')"


def scoped_sql(select: str, flt: StatementFilter | None = None, conditions: Sequence[str] = (),
               params: Sequence[Any] = (), uses: str = "", from_extra: str = "", tail: str = "") -> tuple[str, list]:
    """`select ... from statements s` limited to a filter plus conditions, with only the joins they read.

    `uses` names other tables the statement reads (e.g. "u.idx" for the conversation order);
    `from_extra` is appended to the FROM clause (e.g. ", json_each(...) j"); `params` belong to
    `conditions` and follow the filter's.
    """
    where, flt_params = (flt or StatementFilter()).where()
    clauses = ([f"({where[len(' where '):]})"] if where else []) + list(conditions)
    sql = (f"select {select} from statements s{joins_for(where + ' ' + uses)}{from_extra}"
           + (" where " + " and ".join(clauses) if clauses else "") + tail)
    return sql, flt_params + list(params)


def without_stage(flt: StatementFilter | None) -> StatementFilter:
    return replace(flt, stage=None) if flt else StatementFilter()


def in_list(column: str, values: Sequence[Any]) -> str:
    return f"{column} in ({', '.join('?' * len(values))})" if values else "0"


def people_sql(column: str = "s.participant_id") -> str:
    """Distinct participants, statements without one counting together as one (as a Python set of ids does)."""
    return f"count(distinct {column}) + (count(*) > count({column}))"


def decode_list(raw: str | None) -> list:
    """A stored JSON list, read as `decode_row` reads it."""
    return [] if not raw or raw == "[]" else json.loads(raw)


def ranked_codes(db: Database, column: str, group: str, flt: StatementFilter | None = None,
                 conditions: Sequence[str] = (), params: Sequence[Any] = (), per_statement: bool = False,
                 order: str = ID_ORDER, top: int | None = None) -> dict[Any, list[tuple[Any, int]]]:
    """group value -> [(code, count), ...] of a JSON list column, most frequent first.

    `per_statement` counts a code once per statement (a set per row) rather than every mention.
    Ties go to the code seen first in `order`, then earlier in its statement's list; with `top`,
    only the first `top` codes are sure to be in that order (for a caller that shows no more).
    """
    if order != ID_ORDER:
        return _ranked_codes_in_order(db, column, group, flt, conditions, params, per_statement, order, top)
    # Group on the stored lists (statements share a handful of them: one sort of the statements
    # instead of one of every code), then spread each distinct list over its codes.
    sql, values = scoped_sql(f"{group} as grp, s.{column} as list, count(*), min(s.id)", flt,
                             [*conditions, f"s.{column} not in ('', '[]')"], params, tail=" group by grp, list")
    found: dict[Any, dict[Any, list]] = {}
    for grp, raw, statements, first_id in db.execute(sql, values):
        codes = decode_list(raw)
        if per_statement:
            codes = list(dict.fromkeys(codes))
        seen = found.setdefault(grp, {})
        for position, code in enumerate(codes):
            entry = seen.get(code)
            if entry is None:
                seen[code] = [statements, (first_id, position)]
            else:
                entry[0] += statements
                entry[1] = min(entry[1], (first_id, position))
    return {grp: [(code, n) for code, (n, _) in sorted(codes.items(), key=lambda kv: (-kv[1][0], kv[1][1]))]
            for grp, codes in found.items()}


def _ranked_codes_in_order(db: Database, column: str, group: str, flt: StatementFilter | None,
                           conditions: Sequence[str], params: Sequence[Any], per_statement: bool,
                           order: str, top: int | None) -> dict[Any, list[tuple[Any, int]]]:
    """`ranked_codes` with ties going to the first mention in another order than the ids'.

    The order costs a sort of every mention (a window), so it is asked for only when counts tie.
    """
    listed = f", json_each({json_list(column)}) j"
    count = "count(distinct s.id)" if per_statement else "count(*)"
    sql, values = scoped_sql(f"{group} as grp, j.value as code, {count}", flt, conditions, params,
                             from_extra=listed, tail=" group by grp, code")
    counts = db.execute(sql, values).fetchall()
    ranked: dict[Any, list[tuple[int, Any, Any]]] = {}
    if not _tied(counts, top):
        for grp, code, n in counts:
            ranked.setdefault(grp, []).append((-n, code, code))
    else:
        inner, values = scoped_sql(f"{group} as grp, j.value as code, s.id as sid, "
                                   f"row_number() over (order by {order}, j.key) as position",
                                   flt, conditions, params, uses=order, from_extra=listed)
        count = "count(distinct sid)" if per_statement else "count(*)"
        for grp, code, n, first in db.execute(f"select grp, code, {count}, min(position) from ({inner}) "
                                              "group by grp, code", values):
            ranked.setdefault(grp, []).append((-n, first, code))
    return {grp: [(code, -n) for n, _, code in sorted(items, key=lambda item: item[:2])]
            for grp, items in ranked.items()}


def _tied(rows: list[tuple], top: int | None = None) -> bool:
    """Whether two rows of a group (first column) share a count (last column) that decides the
    order of the group's first `top` (all when None): only then is there a tie to break."""
    counts: dict[Any, list[int]] = {}
    for row in rows:
        counts.setdefault(row[0], []).append(row[-1])
    for values in counts.values():
        shown = set(sorted(values, reverse=True)[:top])
        if any(values.count(n) > 1 for n in shown):
            return True
    return False


def ranked_rows(db: Database, key: str, flt: StatementFilter | None = None, conditions: Sequence[str] = (),
                params: Sequence[Any] = (), order: str = ID_ORDER, top: int | None = None) -> list[tuple[Any, int]]:
    """[(value, statements), ...] of an expression over the statements, most frequent first;
    ties go to the value whose first statement comes first in `order` (looked up only for a tie;
    with `top`, only for one among the first `top`)."""
    sql, values = scoped_sql(f"{key} as k, count(*), min(s.id)", flt, conditions, params, tail=" group by k")
    counts = db.execute(sql, values).fetchall()
    if order != ID_ORDER and _tied([(0, n) for _, n, _ in counts], top):
        first = first_seen(db, key, flt, conditions, params, order)
        counts = [(k, n, first[k]) for k, n, _ in counts]
    return [(k, n) for k, n, _ in sorted(counts, key=lambda r: (-r[1], r[2]))]


def first_seen(db: Database, key: str, flt: StatementFilter | None = None, conditions: Sequence[str] = (),
               params: Sequence[Any] = (), order: str = CONVERSATION_ORDER) -> dict[Any, int]:
    """value -> position of its first statement in `order` (the order a pass over the rows met them)."""
    inner, values = scoped_sql(f"{key} as k, row_number() over (order by {order}) as position",
                               flt, conditions, params, uses=order)
    return dict(db.execute(f"select k, min(position) from ({inner}) group by k", values).fetchall())


def counted(db: Database, select: str, flt: StatementFilter | None = None, conditions: Sequence[str] = (),
            params: Sequence[Any] = (), from_extra: str = "", tail: str = "") -> list[tuple]:
    """The rows of one query over the statements (see `scoped_sql`); `select` takes no parameters."""
    sql, values = scoped_sql(select, flt, conditions, params, from_extra=from_extra, tail=tail)
    return db.execute(sql, values).fetchall()


def near_rounding_edge(value: float, decimals: int = 2) -> bool:
    """Whether the order of an addition could change how `value` prints to `decimals` places.

    SQLite adds a group's numbers in the order it reads them (an index's, not always the ids'),
    which moves the total by rounding errors of about 1e-12; that shows only next to a rounding
    boundary (…5) or next to 0, where the sign is printed. There, add up in id order instead.
    """
    scaled = abs(value) * 10 ** decimals
    return abs(value) < 1e-9 or abs(scaled - math.floor(scaled) - 0.5) < 1e-9 * 10 ** decimals


def sum_in_id_order(db: Database, column: str, flt: StatementFilter | None = None, conditions: Sequence[str] = (),
                    params: Sequence[Any] = ()) -> float:
    """A column's total added one statement after another in id order, NULL as 0 (as a pass over the rows)."""
    sql, values = scoped_sql(column, flt, conditions, params, tail=" order by s.id")
    return sum(value or 0 for (value,) in db.execute(sql, values))


def truthy(column: str) -> str:
    """A column read as Python reads the decoded row (`bool(value)`: NULL and 0 are false)."""
    return f"coalesce({column}, 0) != 0"


def nonempty_list(column: str) -> str:
    return f"json_array_length({json_list(column)}) > 0"
