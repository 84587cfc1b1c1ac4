"""Figures about a set of statements, computed in SQL over the shared StatementFilter.

Answers need counts by sentiment, emotion, stage and so on for sets that can hold
tens of thousands of statements, so the grouping happens in SQLite and only a bounded,
evenly spread sample of rows is read for choosing quotes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from voicemap.store.query import StatementFilter, select_statements

FROM_SQL = (" from statements s join sources src on src.id = s.source_id join utterances u on u.id = s.utterance_id"
            " left join participants p on p.id = s.participant_id")
QUOTE_POOL = 1500
# A fixed multiplicative hash spreads a sample across sources without random(), so answers are repeatable.
SPREAD_ORDER = "(s.id * 2654435761) % 4294967296"


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


def _grouped(db: Database, expression: str, flt: StatementFilter, join: str = "", extra: str = "") -> Counter:
    where, params = flt.where()
    if extra:
        where = (where + " and " if where else " where ") + extra
    sql = f"select {expression} as k, count(*) as n{FROM_SQL}{join}{where} group by 1"
    return Counter({row["k"]: row["n"] for row in db.query(sql, params) if row["k"] is not None})


def count_participants(db: Database, flt: StatementFilter) -> int:
    where, params = flt.where()
    return db.execute(f"select count(distinct s.participant_id){FROM_SQL}{where}", params).fetchone()[0]


def summarize(db: Database, flt: StatementFilter) -> Summary:
    where, params = flt.where()
    total, people, mean, pain = db.execute(
        f"select count(*), count(distinct s.participant_id), avg(s.sentiment_score), coalesce(sum(s.pain), 0)"
        f"{FROM_SQL}{where}", params).fetchone()
    summary = Summary(statements=total, participants=people, mean_sentiment=mean, pain=pain)
    if not total:
        return summary
    summary.sentiment = _grouped(db, "s.sentiment", flt)
    summary.stages = _grouped(db, "s.stage", flt)
    summary.pain_categories = _grouped(db, "s.pain_category", flt, extra="s.pain = 1")
    summary.source_kinds = _grouped(db, "src.kind", flt)
    summary.emotions = _grouped(db, "e.value", flt, join=", json_each(s.emotions) e")
    summary.touchpoints = _grouped(db, "t.value", flt, join=", json_each(s.touchpoints) t")
    return summary


def sample_rows(db: Database, flt: StatementFilter, limit: int = QUOTE_POOL) -> list[dict[str, Any]]:
    """Up to `limit` statements spread over the whole set (not just the first source)."""
    return list(select_statements(db, flt, order=SPREAD_ORDER, limit=limit))


def total_participants(db: Database) -> int:
    return db.execute("select count(distinct participant_id) from statements").fetchone()[0]


def emotion_valence(db: Database, emotion: str) -> float:
    """Mean sentiment of statements expressing an emotion: tells "frustration" from "delight" for any codebook."""
    row = db.execute("select avg(s.sentiment_score) from statements s where exists "
                     "(select 1 from json_each(s.emotions) where value = ?)", [emotion]).fetchone()
    return row[0] or 0.0
