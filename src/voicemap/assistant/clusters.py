"""The assistant's view of persisted clusters (recurring issues found by `voicemap cluster`).

Only the cluster package's public functions are used (`run.cluster_pain_points`,
`issues.load_issues`, `persist.latest_run`/`current_assignments`), so an issue has the
same members, name and key terms here as in the pitfalls report. When the package is
missing or nothing was clustered yet, the functions return None and the assistant
falls back to pain categories. Imports are deferred: the cluster pipeline loads
scikit-learn, and only the `cluster` job should pay for that.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Callable

from sqlite_utils import Database

from voicemap.assistant.stats import matching
from voicemap.report.markdown import escape_inline, share
from voicemap.store.query import StatementFilter

MIN_PEOPLE = 2  # an issue is recurring when two or more participants raise it


def available() -> bool:
    return importlib.util.find_spec("voicemap.cluster") is not None


def _latest(db: Database):
    if not available():
        return None
    from voicemap.cluster.persist import latest_run

    return latest_run(db)


def _ids_within(db: Database, base: StatementFilter, ids: list[int]) -> set[int]:
    """Which of these statements also match `base` (the question's other filters)."""
    flt = StatementFilter(**{**base.__dict__, "extra_where": list(base.extra_where), "statement_ids": ids})
    source, params = matching(flt)
    return {row[0] for row in db.execute(source, params).fetchall()}


def cluster_issues(db: Database, base: StatementFilter) -> list[dict[str, Any]] | None:
    """Recurring clusters of the current run, restricted to `base`; None when nothing is clustered."""
    run = _latest(db)
    if run is None:
        return None
    from voicemap.cluster.issues import load_issues, person

    _, issues = load_issues(db, run.id, with_impacts=False)
    if not issues:
        return None
    allowed = _ids_within(db, base, [r["id"] for issue in issues for r in issue.rows])
    found = []
    for issue in issues:
        rows = [r for r in issue.rows if r["id"] in allowed]  # most typical first
        people = {person(r) for r in rows}
        if len(people) < MIN_PEOPLE:
            continue
        quotes, seen = [], set()
        for row in rows:
            if person(row) not in seen:
                seen.add(person(row))
                quotes.append(row)
        found.append({"name": issue.label, "filter": StatementFilter(statement_ids=[r["id"] for r in rows]),
                      "statements": len(rows), "participants": len(people), "terms": issue.terms,
                      "quotes": quotes, "cluster_id": issue.cluster_id})
    return found


def cluster_members(db: Database, cluster: str) -> list[int] | None:
    """Statement ids of one cluster of the current run, by id or by name; None when there is none."""
    run = _latest(db)
    if run is None:
        return None
    from voicemap.cluster.persist import cluster_rows, current_assignments

    assignments = current_assignments(db, run.id)
    ids = {cluster_id for cluster_id, _ in assignments.values()}
    wanted = None
    if cluster.strip().isdigit() and int(cluster) in ids:
        wanted = int(cluster)
    else:
        for cluster_id, row in cluster_rows(db, ids).items():
            if cluster.strip().lower() in ((row["human_label"] or "").lower(), (row["auto_label"] or "").lower()):
                wanted = cluster_id
    if wanted is None:
        return None
    return sorted(s for s, (c, _) in assignments.items() if c == wanted)


def cluster_choices(db: Database) -> list[tuple[int, str]]:
    """(id, name) of every cluster of the current run, for the coding view's filter hint."""
    run = _latest(db)
    if run is None:
        return []
    from voicemap.cluster.persist import cluster_rows, current_assignments

    ids = {cluster_id for cluster_id, _ in current_assignments(db, run.id).values()}
    rows = cluster_rows(db, ids)
    return sorted((cid, row["human_label"] or row["auto_label"] or f"cluster {cid}") for cid, row in rows.items())


def run_clustering(db: Database, progress: Callable[[str], None], cancelled: Callable[[], bool]) -> str:
    """Cluster the pain points (the `cluster` command) and say what was found, as Markdown."""
    if not available():
        raise RuntimeError("clustering is not available in this build (no voicemap.cluster package)")
    from voicemap.cluster.issues import load_issues
    from voicemap.cluster.run import cluster_pain_points

    run_id = cluster_pain_points(db, progress=progress, cancelled=cancelled)
    run, issues = load_issues(db, run_id, with_impacts=False)
    recurring = [i for i in issues if i.recurring]
    total = issues[0].study_participants if issues else 0
    lines = [f"Clustered **{run.clustered:,}** of {run.statements:,} pain statements into "
             f"**{len(recurring)}** recurring issues (raised by two or more people).", ""]
    for issue in recurring[:5]:
        lines.append(f"- {escape_inline(issue.label, line_start=False)}: {share(len(issue.participants), total)} "
                     f"participants, {len(issue.rows)} statements")
    lines += ["", "Ask `top issues` for the evidence, or filter the coding view with `cluster:ID`."]
    return "\n".join(lines) + "\n"
