"""Cluster exports (CSV, JSON Lines): one record per cluster of the current run.

Field names are a contract like the statement export's: add fields, never rename.
"""

from __future__ import annotations

from typing import Any, Iterator, TextIO

from sqlite_utils import Database

from voicemap.cluster.issues import Issue, load_issues
from voicemap.export import write_records

CLUSTER_FIELDS = ("cluster_id", "label", "auto_label", "human_label", "run_id", "statements", "participants",
                  "study_participants", "recurring", "severity", "priority", "stages", "touchpoints",
                  "pain_categories", "mean_sentiment", "terms", "statement_ids", "score_impacts")


def cluster_record(issue: Issue, run_id: int) -> dict[str, Any]:
    return {
        "cluster_id": issue.cluster_id,
        "label": issue.label,
        "auto_label": issue.auto_label,
        "human_label": issue.human_label,
        "run_id": run_id,
        "statements": len(issue.rows),
        "participants": len(issue.participants),
        "study_participants": issue.study_participants,
        "recurring": issue.recurring,
        "severity": issue.severity,
        "priority": round(issue.priority, 4),
        "stages": [s for s, _ in issue.counter("stage").most_common()],
        "touchpoints": [t for t, _ in issue.counter("touchpoints").most_common()],
        "pain_categories": [c for c, _ in issue.counter("pain_category").most_common()],
        "mean_sentiment": round(issue.mean_sentiment, 4),
        "terms": issue.terms,
        "statement_ids": sorted(r["id"] for r in issue.rows),
        "score_impacts": [f"{i.score}:{i.delta:+.3f}" for i in issue.impacts],
    }


def iter_cluster_records(db: Database, rank: str = "priority") -> Iterator[dict[str, Any]]:
    run, issues = load_issues(db, rank=rank)
    for issue in issues:
        yield cluster_record(issue, run.id)


def export_clusters(db: Database, fmt: str, out: TextIO) -> int:
    return write_records(iter_cluster_records(db), fmt, out, CLUSTER_FIELDS)
