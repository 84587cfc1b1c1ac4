"""Figures about a set of statements, computed in SQL over the shared StatementFilter.

Answers need counts by sentiment, emotion, stage and so on for sets that can hold
tens of thousands of statements, and must come back in a fraction of a second on a
100,000-statement study. So the filter runs once per answer: its statements are
materialised with just the columns the figures read, every figure is one grouping
over that small set, all in one SQL statement, and only a bounded, evenly spread
sample of ids comes back for choosing quotes (the whole study needs no set: each
figure reads its own index). Quotes are chosen on a few light columns of that
sample; the full rows are read only for the quotes shown. The sides of a comparison
are summarised on both cores.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from sqlite_utils import Database

from voicemap.store.query import BASE_SQL, StatementFilter, decode_row, joins_for

QUOTE_POOL = 1500
# A fixed multiplicative hash spreads a sample across sources without random(), so answers are repeatable.
# It is a bijection on ids below 2**32, so the order has no ties.
SPREAD_ORDER = "(s.id * 2654435761) % 4294967296"
# The statement columns each figure reads (the sample reads the id).
COLUMNS = {"total": ("participant_id", "sentiment_score", "pain"), "sentiment": ("sentiment",),
           "sentiments": ("sentiment",), "stage": ("stage",),
           "pain_category": ("pain", "pain_category"), "kind": ("source_id",), "emotion": ("emotions",),
           "touchpoint": ("touchpoints",), "sample": ("id",)}
LIGHT_COLUMNS = "s.id, s.participant_id, s.sentiment, s.pain, s.lemmas"


@dataclass
class Summary:
    statements: int = 0
    participants: int = 0
    mean_sentiment: float | None = None
    pain: int = 0
    sentiment: Counter = field(default_factory=Counter)
    emotions: Counter = field(default_factory=Counter)
    touchpoints: Counter = field(default_factory=Counter)
    stages: Counter = field(default_factory=Counter)
    pain_categories: Counter = field(default_factory=Counter)
    source_kinds: Counter = field(default_factory=Counter)
    sample_ids: list[int] = field(default_factory=list)  # spread over the set, when a sample was asked for


def matching(flt: StatementFilter, columns: str = "s.id") -> tuple[str, list[Any]]:
    """SELECT `columns` of the statements a filter matches, joining only what the filter reads."""
    where, params = flt.where()
    return f"select {columns} from statements s{joins_for(where)}{where}", params


def _sqlite_order(value: Any) -> tuple[int, Any]:
    """Sort key matching SQLite's GROUP BY order (numbers before text before blobs; text by code point)."""
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, value) if isinstance(value, str) else (2, value)


def _counter(counts: dict[Any, int]) -> Counter:
    """A Counter whose ties (most_common) fall in the order SQL grouping returned them."""
    return Counter({key: counts[key] for key in sorted(counts, key=_sqlite_order)})


SENTIMENTS = ("mixed", "negative", "neutral", "positive")  # in the order grouping returns them
# Each figure is one grouping over `m`, the statements a filter matches; `lists` counts each
# distinct pair of emotion and touchpoint lists once, so the JSON is parsed per pair, not per row.
# A materialised set counts the four sentiments in one pass rather than sorting it once more.
ARMS = {
    "total": "select 'total' as part, count(*) as a, count(distinct participant_id) as b, avg(sentiment_score) as c, "
             "coalesce(sum(pain), 0) as n, null as x from m",
    "sentiment": "select 'sentiment', sentiment, null, null, count(*), null from m group by 2",
    "sentiments": "select 'sentiments', " + ", ".join(f"coalesce(sum(sentiment = '{s}'), 0)" for s in SENTIMENTS)
                  + ", count(sentiment) from m",
    "stage": "select 'stage', stage, null, null, count(*), null from m group by 2",
    "pain_category": "select 'pain_category', pain_category, null, null, count(*), null from m where pain = 1 "
                     "group by 2",
    "kind": "select 'kind', src.kind, null, null, sum(g.n), null from (select source_id, count(*) as n from m "
            "group by 1) g join sources src on src.id = g.source_id group by 2",
    "emotion": "select 'emotion', e.value, null, null, sum(l.n), null from lists l, json_each(l.emotions) e group by 2",
    "touchpoint": "select 'touchpoint', t.value, null, null, sum(l.n), null from lists l, json_each(l.touchpoints) t "
                  "group by 2",
    "sample": "select * from (select 'sample', id, null, null, null, null from m order by {spread} limit ?)",
}
# The whole study needs no set of its own: each figure reads the narrowest index that holds its
# column (stage, sentiment, pain, source, participant), or the table; lists are grouped as stored.
WHOLE_STUDY_ARMS = {
    "total": "select 'total', (select count(*) from statements), (select count(distinct participant_id) "
             "from statements), (select avg(sentiment_score) from statements), "
             "(select coalesce(sum(pain), 0) from statements), null",
    "sentiment": "select 'sentiment', sentiment, null, null, count(*), null from statements group by 2",
    "stage": "select 'stage', stage, null, null, count(*), null from statements group by 2",
    "pain_category": "select 'pain_category', pain_category, null, null, count(*), null from statements "
                     "where pain = 1 group by 2",
    "kind": "select 'kind', src.kind, null, null, sum(g.n), null from (select source_id, count(*) as n "
            "from statements group by 1) g join sources src on src.id = g.source_id group by 2",
    "emotion": "select 'emotion', e.value, null, null, sum(g.n), null from (select emotions, count(*) as n "
               "from statements group by 1) g, json_each(g.emotions) e group by 2",
    "touchpoint": "select 'touchpoint', t.value, null, null, sum(g.n), null from (select touchpoints, count(*) as n "
                  "from statements group by 1) g, json_each(g.touchpoints) t group by 2",
    "sample": "select * from (select 'sample', id, null, null, null, null from statements order by {spread} limit ?)",
}
FIGURES = ("sentiment", "stage", "pain_category", "kind", "emotion", "touchpoint")
COMPARED = ("sentiment", "stage", "pain_category", "emotion")  # what a comparison table shows


def summary_sql(flt: StatementFilter, figures: Iterable[str] = FIGURES, sample: bool = False,
                by_sums: bool = True) -> tuple[str, list]:
    """One statement computing the figures (and a spread sample of ids) of the statements `flt` matches.

    A filter's statements are materialised once, so each grouping reads the small set
    instead of evaluating the filter again. Without a filter each figure reads the
    statements table directly, through the index that already holds its groups in order.
    """
    where, params = flt.where()
    arms = ["total", *figures] + (["sample"] if sample else [])
    spread = SPREAD_ORDER.replace("s.id", "id")
    if not where:
        return "\nunion all ".join(WHOLE_STUDY_ARMS[arm] for arm in arms).replace("{spread}", spread), params
    columns = ", ".join(dict.fromkeys(f"s.{column}" for arm in arms for column in COLUMNS[arm]))
    source = f"select {columns} from statements s{joins_for(where)}{where}"
    if by_sums:
        arms = ["sentiments" if arm == "sentiment" else arm for arm in arms]
    json_lists = [COLUMNS[arm][0] for arm in ("emotion", "touchpoint") if arm in figures]
    lists = (f", lists as (select {', '.join(json_lists)}, count(*) as n from m group by {', '.join(json_lists)})"
             if json_lists else "")
    sql = f"with m as materialized ({source}){lists}\n" + "\nunion all ".join(ARMS[arm] for arm in arms)
    return sql.replace("{spread}", spread), params


def summarize(db: Database, flt: StatementFilter, sample: int = 0, figures: Iterable[str] = FIGURES,
              by_sums: bool = True) -> Summary:
    """The figures of a set of statements (and `sample` spread ids for quotes) in one pass of the filter."""
    sql, params = summary_sql(flt, figures, sample=bool(sample), by_sums=by_sums)
    summary = Summary()
    grouped: dict[str, dict[Any, int]] = {figure: {} for figure in FIGURES}
    for part, a, b, c, n, x in db.execute(sql, params + ([int(sample)] if sample else [])).fetchall():
        if part == "total":
            summary.statements, summary.participants, summary.mean_sentiment, summary.pain = a, b, c, n
        elif part == "sample":
            summary.sample_ids.append(a)
        elif part == "sentiments":
            if x != a + b + c + n:  # a sentiment none of the four (a human's?): count every value as it is
                return summarize(db, flt, sample, figures, by_sums=False)
            grouped["sentiment"] = {name: k for name, k in zip(SENTIMENTS, (a, b, c, n)) if k}
        elif a is not None:
            grouped[part][a] = n
    summary.sentiment, summary.stages = _counter(grouped["sentiment"]), _counter(grouped["stage"])
    summary.pain_categories, summary.source_kinds = _counter(grouped["pain_category"]), _counter(grouped["kind"])
    summary.emotions, summary.touchpoints = _counter(grouped["emotion"]), _counter(grouped["touchpoint"])
    return summary


def summarize_all(db: Database, filters: list[StatementFilter], sample: int = 0,
                  figures: Iterable[str] = FIGURES) -> list[Summary]:
    """`summarize` for several sets (the sides of a comparison), using both cores on a study file.

    Each side reads tens of thousands of statements on a large study; SQLite runs one
    statement per connection, on one core. So every side but the first is summarised on
    its own read-only connection in a thread (SQLite releases Python's lock while it
    works). In memory, or with uncommitted changes only this connection can see, the
    sides are summarised one after the other.
    """
    path = _study_file(db)
    if len(filters) < 2 or path is None or db.conn.in_transaction:
        return [summarize(db, flt, sample, figures) for flt in filters]
    with ThreadPoolExecutor(max_workers=len(filters) - 1) as pool:
        others = [pool.submit(_summarize_apart, path, flt, sample, tuple(figures)) for flt in filters[1:]]
        summaries = [summarize(db, filters[0], sample, figures)]
        for flt, other in zip(filters[1:], others):
            try:
                summaries.append(other.result())
            except sqlite3.Error:  # the file could not be opened a second time: this connection does it
                summaries.append(summarize(db, flt, sample, figures))
        return summaries


def _study_file(db: Database) -> str | None:
    files = [row[2] for row in db.execute("pragma database_list").fetchall() if row[1] == "main"]
    return files[0] if files and files[0] else None


def _summarize_apart(path: str, flt: StatementFilter, sample: int, figures: tuple[str, ...]) -> Summary:
    conn = sqlite3.connect(Path(path).as_uri() + "?mode=ro", uri=True, timeout=30)
    try:
        return summarize(Database(conn), flt, sample, figures)
    finally:
        conn.close()


def light_rows(db: Database, ids: list[int]) -> list[dict[str, Any]]:
    """The columns quotes are chosen by (lemmas, participant, sentiment, pain), in the order of `ids`."""
    if not ids:
        return []
    rows = db.execute(f"select {LIGHT_COLUMNS} from json_each(?) j join statements s on s.id = j.value "
                      "order by j.key", [json.dumps(ids)]).fetchall()
    return [{"id": i, "participant_id": who, "sentiment": sentiment, "pain": bool(pain), "lemmas": lemmas}
            for i, who, sentiment, pain, lemmas in rows]


def full_rows(db: Database, chosen: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The full rows (text, source, participant, location...) of the chosen statements, in their order."""
    ids = [row["id"] for row in chosen]
    if not ids:
        return []
    found = {row["id"]: decode_row(row) for row in db.query(
        BASE_SQL + " where s.id in (select value from json_each(?))", [json.dumps(ids)])}
    return [found[i] for i in ids if i in found]


def sample_pools(db: Database, filters: list[StatementFilter], limit: int) -> list[list[int]]:
    """For each filter, up to `limit` ids spread over its statements (in one statement)."""
    if not filters:
        return []
    arms, params = [], []
    for n, flt in enumerate(filters):
        source, flt_params = matching(flt, f"{n} as k, s.id")
        arms.append(f"select * from ({source} order by {SPREAD_ORDER} limit ?)")
        params += flt_params + [int(limit)]
    pools: list[list[int]] = [[] for _ in filters]
    for n, statement_id in db.execute(" union all ".join(arms), params).fetchall():
        pools[n].append(statement_id)
    return pools


def count_participants(db: Database, flt: StatementFilter) -> int:
    source, params = matching(flt, "count(distinct s.participant_id)")
    return db.execute(source, params).fetchone()[0]


def total_participants(db: Database) -> int:
    return db.execute("select count(distinct participant_id) from statements").fetchone()[0]


def emotion_valence(db: Database, emotion: str) -> float:
    """Mean sentiment of statements expressing an emotion: tells "frustration" from "delight" for any codebook."""
    source, params = matching(StatementFilter(emotion=emotion), "avg(s.sentiment_score)")
    return db.execute(source, params).fetchone()[0] or 0.0
