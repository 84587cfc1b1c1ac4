"""Cluster runs in SQLite: every run with its parameters and time, identities that outlive runs.

Tables (migration 002_clusters): `cluster_runs` (one row per clustering or human edit),
`clusters` (identities: auto label, a researcher's label, status), `cluster_members`
(run, cluster, statement, how typical it is) and `cluster_decisions` (renames, merges
and splits, who and when). A human edit never rewrites an earlier run: it writes a new
run based on it, so every report can say which run it describes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlite_utils import Database

from voicemap.cluster.identity import PreviousState, statement_key
from voicemap.store.db import utc_now

DEFAULT_SCOPE: dict[str, Any] = {"pain": True}


def scope_key(scope: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in sorted(scope.items()) if v is not None}, sort_keys=True)


@dataclass
class RunInfo:
    id: int
    created_at: str
    origin: str
    scope: dict[str, Any]
    params: dict[str, Any]
    algorithm: str
    statements: int
    clustered: int
    clusters: int
    seconds: float


def _run_info(row: dict[str, Any]) -> RunInfo:
    return RunInfo(row["id"], row["created_at"], row["origin"], json.loads(row["scope"] or "{}"),
                   json.loads(row["params"] or "{}"), row["algorithm"] or "", row["statements"] or 0,
                   row["clustered"] or 0, row["clusters"] or 0, row["seconds"] or 0.0)


def get_run(db: Database, run_id: int) -> RunInfo | None:
    rows = list(db.query("select * from cluster_runs where id = ?", [run_id]))
    return _run_info(rows[0]) if rows else None


def latest_run(db: Database, scope: dict[str, Any] | None = None) -> RunInfo | None:
    """The newest run of a scope; with no scope, the newest default-scope run, else the newest of any."""
    if "cluster_runs" not in db.table_names():
        return None
    keys = [scope_key(scope)] if scope is not None else [scope_key(DEFAULT_SCOPE), None]
    for key in keys:
        sql = "select * from cluster_runs" + (" where scope_key = ?" if key else "") + " order by id desc limit 1"
        rows = list(db.query(sql, [key] if key else []))
        if rows:
            return _run_info(rows[0])
    return None


def run_containing(db: Database, cluster_id: int) -> RunInfo | None:
    """The newest run in which a cluster has members (where a human edit applies)."""
    rows = list(db.query("select max(run_id) as run_id from cluster_members where cluster_id = ?", [cluster_id]))
    return get_run(db, rows[0]["run_id"]) if rows and rows[0]["run_id"] else None


def run_memberships(db: Database, run_id: int) -> list[dict[str, Any]]:
    return list(db.query("select cluster_id, statement_id, statement_key, centrality from cluster_members "
                         "where run_id = ? order by cluster_id, statement_id", [run_id]))


def cluster_rows(db: Database, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(ids)
    if not ids:
        return {}
    sql = f"select * from clusters where id in ({','.join('?' * len(ids))})"
    return {row["id"]: row for row in db.query(sql, ids)}


def display_label(row: dict[str, Any]) -> str:
    """A researcher's name wins over the automatic one."""
    return row.get("human_label") or row.get("auto_label") or f"cluster {row['id']}"


def previous_state(db: Database, key: str) -> PreviousState:
    """The latest run of this scope plus every merge and split decision, ready for matching."""
    state = PreviousState()
    rows = list(db.query("select id from cluster_runs where scope_key = ? order by id desc limit 1", [key]))
    if rows:
        for member in run_memberships(db, rows[0]["id"]):
            state.members.setdefault(member["cluster_id"], set()).add(member["statement_key"])
    merged_into = {r["id"]: r["merged_into"] for r in db.query(
        "select id, merged_into from clusters where status = 'merged' and merged_into is not null")}
    for cluster_id in merged_into:
        target, hops = merged_into[cluster_id], 0
        while target in merged_into and hops < 100:  # follow chains A -> B -> C
            target, hops = merged_into[target], hops + 1
        state.merge_targets[cluster_id] = target
    status = {r["id"]: r["status"] for r in db.query("select id, status from clusters")}
    for decision in db.query("select kind, payload from cluster_decisions where kind in ('merge', 'split') order by id"):
        payload = json.loads(decision["payload"] or "{}")
        if decision["kind"] == "merge":
            for cluster_id, keys in payload.get("snapshots", {}).items():
                if int(cluster_id) in state.merge_targets:
                    state.merged_snapshots[int(cluster_id)] = set(keys)
        elif status.get(payload.get("new_id")) != "merged":
            state.split_products[payload["new_id"]] = set(payload.get("members", []))
    return state


def create_cluster(db: Database, run_id: int, auto_label: str, terms: list, split_from: int | None = None) -> int:
    return db["clusters"].insert({
        "auto_label": auto_label, "human_label": None, "labelled_by": None, "labelled_at": None,
        "terms": json.dumps(terms), "status": "active", "merged_into": None, "split_from": split_from,
        "created_run_id": run_id, "last_run_id": run_id, "created_at": utc_now(),
    }).last_pk


def insert_run(db: Database, origin: str, scope: dict[str, Any], params: dict[str, Any], algorithm: str,
               statements: int, based_on: int | None = None, seconds: float = 0.0) -> int:
    return db["cluster_runs"].insert({
        "created_at": utc_now(), "origin": origin, "based_on": based_on, "scope": json.dumps(scope),
        "scope_key": scope_key(scope), "params": json.dumps(params), "algorithm": algorithm,
        "statements": statements, "clustered": 0, "clusters": 0, "seconds": seconds,
    }).last_pk


def write_members(db: Database, run_id: int, members: list[dict[str, Any]],
                  labels: dict[int, tuple[str, list]]) -> None:
    """Store a run's memberships and refresh each cluster's automatic name and status."""
    db["cluster_members"].insert_all(
        ({"run_id": run_id, **m} for m in members), batch_size=1000)
    cluster_ids = sorted({m["cluster_id"] for m in members})
    for cluster_id in cluster_ids:
        auto_label, terms = labels.get(cluster_id, (None, []))
        update = {"last_run_id": run_id, "status": "active", "merged_into": None}
        if auto_label:
            update.update({"auto_label": auto_label, "terms": json.dumps(terms)})
        db["clusters"].update(cluster_id, update)
    db["cluster_runs"].update(run_id, {"clustered": len(members), "clusters": len(cluster_ids)})


def retire_missing(db: Database, kept: set[int], previous_members: Iterable[int]) -> None:
    """Clusters of the previous run that found no successor are retired (kept for history)."""
    for cluster_id in sorted(set(previous_members) - kept):
        db.execute("update clusters set status = 'retired' where id = ? and status = 'active'", [cluster_id])


def record_decision(db: Database, kind: str, cluster_id: int, coder: str, run_id: int | None = None,
                    other_ids: list[int] | None = None, payload: dict[str, Any] | None = None) -> int:
    return db["cluster_decisions"].insert({
        "kind": kind, "cluster_id": cluster_id, "other_ids": json.dumps(other_ids or []),
        "payload": json.dumps(payload or {}), "run_id": run_id, "coder": coder, "created_at": utc_now(),
    }).last_pk


def member_key(row: dict[str, Any]) -> str:
    return statement_key(row.get("source_path"), row["text"])


def current_assignments(db: Database, run_id: int | None = None) -> dict[int, tuple[int, str]]:
    """statement id -> (cluster id, display label) in a run (default: the current one).

    Memberships whose statement was since replaced (its key no longer matches) are dropped,
    so a re-imported file never shows another statement's cluster.
    """
    if "cluster_runs" not in db.table_names():
        return {}
    if run_id is None:
        run = latest_run(db)
        if run is None:
            return {}
        run_id = run.id
    rows = db.execute(  # tuples, not dicts: a run of a big study has tens of thousands of members
        "select m.statement_id, m.cluster_id, m.statement_key, s.text, src.path, c.auto_label, c.human_label "
        "from cluster_members m join statements s on s.id = m.statement_id join sources src on src.id = s.source_id "
        "join clusters c on c.id = m.cluster_id where m.run_id = ?", [run_id])
    return {statement_id: (cluster_id, human_label or auto_label or f"cluster {cluster_id}")
            for statement_id, cluster_id, key, text, path, auto_label, human_label in rows
            if statement_key(path, text) == key}
