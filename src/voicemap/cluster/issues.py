"""A stored run read back as issues: who raised each, where, how badly, with which words.

Everything that presents clusters (the CLI listing, the clusters export, the pitfalls
report, the journey map's "recurring issues here" line) reads `load_issues`, so an issue
has the same counts, severity and priority everywhere.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from voicemap.cluster.impact import ScoreImpact, participant_scores, score_impacts
from voicemap.cluster.persist import RunInfo, cluster_rows, current_assignments, get_run, latest_run
from voicemap.cluster.severity import issue_severity, statement_severity
from voicemap.store.query import StatementFilter, select_statements

RECURRING_MIN_PARTICIPANTS = 2


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

    @property
    def participants(self) -> set:
        return {person(r) for r in self.rows}

    @property
    def recurring(self) -> bool:
        return len(self.participants) >= RECURRING_MIN_PARTICIPANTS

    @property
    def share(self) -> float:
        return len(self.participants) / self.study_participants if self.study_participants else 0.0

    @property
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
        values = Counter()
        for row in self.rows:
            value = row.get(key)
            values.update(value if isinstance(value, list) else ([value] if value else []))
        return values

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


def load_issues(db: Database, run_id: int | None = None, rank: str = "priority",
                with_impacts: bool = True) -> tuple[RunInfo | None, list[Issue]]:
    """The issues of a run (default: the current one), ranked by priority or by score impact."""
    run = get_run(db, run_id) if run_id is not None else latest_run(db)
    if run is None:
        return None, []
    assignments = current_assignments(db, run.id)
    centrality = {r["statement_id"]: r["centrality"] or 0.0 for r in db.query(
        "select statement_id, centrality from cluster_members where run_id = ?", [run.id])}
    rows_by_cluster: dict[int, list[dict]] = {}
    for row in select_statements(db, StatementFilter(statement_ids=list(assignments))):
        rows_by_cluster.setdefault(assignments[row["id"]][0], []).append(row)
    clusters = cluster_rows(db, rows_by_cluster)
    total = _study_participants(db)
    scores = participant_scores(db) if with_impacts else {}
    issues = []
    for cluster_id, rows in rows_by_cluster.items():
        info = clusters[cluster_id]
        rows.sort(key=lambda r: (-centrality.get(r["id"], 0.0), r["id"]))
        raisers = {r["participant_id"] for r in rows if r.get("participant_id")}
        issues.append(Issue(cluster_id, info["human_label"] or info["auto_label"] or f"cluster {cluster_id}",
                            info["auto_label"] or "", info["human_label"],
                            [t for t, _ in json.loads(info["terms"] or "[]")], rows, total,
                            score_impacts(scores, raisers)))
    return run, rank_issues(issues, rank)


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

    clustered = {r["id"] for issue in issues if issue.recurring for r in issue.rows}
    candidates = [r for r in select_statements(db, scope_filter(run.scope))
                  if r["id"] not in clustered and r.get("pain")]
    severe = [(statement_severity(r), r) for r in candidates]
    severe = [(s, r) for s, r in severe if s >= min_severity]
    severe.sort(key=lambda pair: (-pair[0], pair[1]["id"]))
    return [dict(r, severity=s) for s, r in severe]
