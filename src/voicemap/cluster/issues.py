"""A stored run read back as issues: who raised each, where, how badly, with which words.

Everything that presents clusters (the CLI listing, the clusters export, the pitfalls
report) reads `load_issues`, so an issue has the same counts, severity and priority
everywhere; the journey map's "recurring issues here" line applies the same membership
and recurring rules (`person`, `RECURRING_MIN_PARTICIPANTS`) without loading the issues.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlite_utils import Database

from voicemap.cluster.identity import statement_key
from voicemap.cluster.impact import ScoreImpact, participant_scores, score_impacts, summarise_scores
from voicemap.cluster.persist import RunInfo, cluster_rows, get_run, latest_run
from voicemap.cluster.severity import issue_severity, statement_severity
from voicemap.store.query import StatementFilter, decode_row, joins_for, select_statements

RECURRING_MIN_PARTICIPANTS = 2
# What counts, severity, ranking and the report's figures read of a member statement; a
# caller that quotes a statement fetches its full row (`full_rows`) by id.
SUMMARY_COLUMNS = ("id", "participant_id", "text", "stage", "touchpoints", "emotions", "sentiment",
                   "sentiment_score", "pain", "pain_category")


def person(row: dict[str, Any]) -> Any:
    """Who said it; a statement without a participant counts as its own person."""
    return row.get("participant_id") or ("statement", row["id"])


@dataclass
class Issue:
    cluster_id: int
    label: str
    auto_label: str
    human_label: str | None
    terms: list[str]
    rows: list[dict[str, Any]]  # most typical first
    study_participants: int
    impacts: list[ScoreImpact] = field(default_factory=list)
    _counters: dict[str, Counter] = field(default_factory=dict, init=False, repr=False, compare=False)

    # Cached: the report reads participants and severity several times per issue, and the
    # severity runs two regular expressions over every statement (rows never change after loading).
    @cached_property
    def participants(self) -> set:
        return {person(r) for r in self.rows}

    @property
    def recurring(self) -> bool:
        return len(self.participants) >= RECURRING_MIN_PARTICIPANTS

    @property
    def share(self) -> float:
        return len(self.participants) / self.study_participants if self.study_participants else 0.0

    @cached_property
    def severity(self) -> int:
        return issue_severity(self.rows)

    @property
    def priority(self) -> float:
        """Share of participants affected × severity (CODEBOOK.md)."""
        return self.share * self.severity

    @property
    def impact(self) -> float:
        """The largest score change, as a share of the score's range (0 when no scores)."""
        return max((i.relative for i in self.impacts), default=0.0)

    def counter(self, key: str) -> Counter:
        if key not in self._counters:  # a report asks for the same counts several times per issue
            values = Counter()
            for row in self.rows:
                value = row.get(key)
                values.update(value if isinstance(value, list) else ([value] if value else []))
            self._counters[key] = values
        return Counter(self._counters[key])  # a copy: the caller may change it

    @property
    def mean_sentiment(self) -> float:
        return sum(r.get("sentiment_score") or 0.0 for r in self.rows) / len(self.rows) if self.rows else 0.0

    def representatives(self, k: int = 4) -> list[dict[str, Any]]:
        """Up to k statements closest to the centre, at most one per participant."""
        chosen, seen = [], set()
        for row in self.rows:
            if person(row) in seen:
                continue
            seen.add(person(row))
            chosen.append(row)
            if len(chosen) == k:
                break
        return chosen


def _study_participants(db: Database) -> int:
    with_id = db.execute("select count(distinct participant_id) from statements").fetchone()[0]
    without = db.execute("select count(*) from statements where participant_id is null").fetchone()[0]
    return with_id + without


def _members(db: Database, run_id: int, columns: tuple[str, ...]) -> list[tuple[dict[str, Any], int, float]]:
    """(statement row, cluster id, centrality) of every member of a run whose statement is still the one
    clustered (the `current_assignments` rule: its key matches); rows decoded as `decode_row` does."""
    cursor = db.execute(
        "select m.cluster_id, m.centrality, m.statement_key, src.path, " + ", ".join(f"s.{c}" for c in columns)
        + " from cluster_members m join statements s on s.id = m.statement_id"
        " join sources src on src.id = s.source_id join utterances u on u.id = s.utterance_id"
        " join clusters c on c.id = m.cluster_id where m.run_id = ?", [run_id])
    lists = [c for c in ("touchpoints", "emotions", "actions") if c in columns]
    decoded: dict[str, list] = {}  # statements share a few code lists: parse each once, hand out copies
    members = []
    for cluster_id, centrality, key, path, *values in cursor:
        row = dict(zip(columns, values))
        if statement_key(path, row["text"]) != key:
            continue
        for column in lists:
            raw = row[column]
            if raw not in decoded:
                decoded[raw] = decode_row({column: raw})[column]
            row[column] = list(decoded[raw])
        if "pain" in row:
            row["pain"] = bool(row["pain"])
        members.append((row, cluster_id, centrality or 0.0))
    return members


def _full_rows(db: Database, run_id: int, wanted: set[int]) -> dict[int, dict[str, Any]]:
    members = StatementFilter(extra_where=[("s.id in (select statement_id from cluster_members where run_id = ?)",
                                            [run_id])])
    return {row["id"]: row for row in select_statements(db, members) if row["id"] in wanted}


def load_issues(db: Database, run_id: int | None = None, rank: str = "priority",
                with_impacts: bool = True, full_rows: bool = True) -> tuple[RunInfo | None, list[Issue]]:
    """The issues of a run (default: the current one), ranked by priority or by score impact.

    `full_rows=False` keeps only `SUMMARY_COLUMNS` of each statement (every count, the severity
    and the ranking are the same): on a big study the full rows cost more than the rest together,
    so a report loads those only for the statements it quotes (`statement_rows`).
    """
    run = get_run(db, run_id) if run_id is not None else latest_run(db)
    if run is None:
        return None, []
    members = _members(db, run.id, SUMMARY_COLUMNS)
    if full_rows:
        full = _full_rows(db, run.id, {row["id"] for row, _, _ in members})
        members = [(full[row["id"]], cluster_id, centrality) for row, cluster_id, centrality in members]
    rows_by_cluster: dict[int, list[dict]] = {}
    centrality = {}
    for row, cluster_id, central in members:
        rows_by_cluster.setdefault(cluster_id, []).append(row)
        centrality[row["id"]] = central
    clusters = cluster_rows(db, rows_by_cluster)
    total = _study_participants(db)
    scores = participant_scores(db) if with_impacts else {}
    summaries = summarise_scores(scores)
    issues = []
    for cluster_id, rows in rows_by_cluster.items():
        info = clusters[cluster_id]
        rows.sort(key=lambda r: (-centrality.get(r["id"], 0.0), r["id"]))
        raisers = {r["participant_id"] for r in rows if r.get("participant_id")}
        issues.append(Issue(cluster_id, info["human_label"] or info["auto_label"] or f"cluster {cluster_id}",
                            info["auto_label"] or "", info["human_label"],
                            [t for t, _ in json.loads(info["terms"] or "[]")], rows, total,
                            score_impacts(scores, raisers, summaries)))
    return run, rank_issues(issues, rank)


def statement_rows(db: Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Full statement rows (text, source, participant, location: all a citation needs) by id."""
    if not ids:
        return {}
    chosen = StatementFilter(extra_where=[("s.id in (select value from json_each(?))", [json.dumps(sorted(set(ids)))])])
    return {row["id"]: row for row in select_statements(db, chosen)}


def rank_issues(issues: list[Issue], rank: str = "priority") -> list[Issue]:
    if rank == "impact":
        key = lambda i: (-i.impact, -i.priority, i.cluster_id)  # noqa: E731
    elif rank == "priority":
        key = lambda i: (-i.priority, -len(i.rows), i.cluster_id)  # noqa: E731
    else:
        raise ValueError(f"unknown ranking '{rank}' (choose priority or impact)")
    return sorted(issues, key=key)


def severe_one_offs(db: Database, run: RunInfo, issues: list[Issue], min_severity: int = 3) -> list[dict[str, Any]]:
    """Severe complaints raised by one participant only: unclustered, or alone in their cluster."""
    from voicemap.cluster.run import scope_filter

    clustered = sorted({r["id"] for issue in issues if issue.recurring for r in issue.rows})
    where, params = scope_filter(run.scope).where()
    # The recurring issues' statements are left out in SQL, and the severity reads a few columns:
    # a clustered study has few candidates, and only the severe ones are loaded whole.
    scoped = f" where ({where[len(' where '):]}) and" if where else " where"
    sql = (f"select s.id, s.text, s.sentiment_score, s.sentiment, s.emotions, s.pain from statements s"
           f"{joins_for(where)}{scoped} s.pain and s.id not in (select value from json_each(?))")
    cursor = db.execute(sql, params + [json.dumps(clustered)])
    columns = [d[0] for d in cursor.description]
    severe = [(statement_severity(row), row["id"]) for row in (decode_row(dict(zip(columns, values)))
                                                               for values in cursor)]
    severe = sorted((-level, statement_id) for level, statement_id in severe if level >= min_severity)
    rows = statement_rows(db, [statement_id for _, statement_id in severe])
    return [dict(rows[statement_id], severity=-level) for level, statement_id in severe if statement_id in rows]
