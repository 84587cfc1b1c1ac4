"""A researcher's rename, merge and split of clusters, stored as human decisions.

A rename is a label on the cluster identity, so it follows the cluster through later
runs. A merge or split writes a new run based on the cluster's latest run (earlier runs
stay as they were) and logs a decision with the members involved, which later
re-clustering replays (see `identity.py`).
"""

from __future__ import annotations

import json

import numpy as np
from sqlite_utils import Database

from voicemap.cluster.persist import (cluster_rows, create_cluster, insert_run, record_decision, run_containing,
                                      run_memberships, write_members)
from voicemap.store.coding import default_coder
from voicemap.store.db import utc_now
from voicemap.store.query import StatementFilter, select_statements


class ClusterEditError(ValueError):
    """An edit that cannot be applied (unknown cluster, nothing to split...)."""


def _require(db: Database, cluster_ids: list[int]) -> dict[int, dict]:
    rows = cluster_rows(db, cluster_ids)
    missing = [str(i) for i in cluster_ids if i not in rows]
    if missing:
        raise ClusterEditError(f"no cluster {', '.join(missing)} (see `voicemap cluster` for ids)")
    inactive = [str(i) for i in cluster_ids if rows[i]["status"] != "active"]
    if inactive:
        raise ClusterEditError(f"cluster {', '.join(inactive)} is no longer active (merged or retired)")
    return rows


def rename_cluster(db: Database, cluster_id: int, label: str, coder: str | None = None) -> None:
    label = " ".join(label.split())
    if not label:
        raise ClusterEditError("a cluster needs a non-empty label")
    old = _require(db, [cluster_id])[cluster_id]
    coder = coder or default_coder()
    with db.atomic():
        db["clusters"].update(cluster_id, {"human_label": label, "labelled_by": coder, "labelled_at": utc_now()})
        record_decision(db, "rename", cluster_id, coder,
                        payload={"old": old["human_label"] or old["auto_label"], "new": label})


def _statement_rows(db: Database, members: list[dict]) -> dict[int, dict]:
    ids = [m["statement_id"] for m in members]
    return {r["id"]: r for r in select_statements(db, StatementFilter(statement_ids=ids))}


def _copy_run(db: Database, run_id: int, moves: dict[int, int], origin_note: str) -> int:
    """A new human run: the base run's memberships with statements moved (statement id -> cluster id)."""
    from voicemap.cluster.labels import ClassTfidfLabeller
    from voicemap.cluster.run import name_groups

    base = db["cluster_runs"].get(run_id)
    members = run_memberships(db, run_id)
    new_run = insert_run(db, "human", json.loads(base["scope"]), {**json.loads(base["params"]), "edit": origin_note},
                         f"human edit of run {run_id}", base["statements"], based_on=run_id)
    for member in members:
        member["cluster_id"] = moves.get(member["statement_id"], member["cluster_id"])
    rows = _statement_rows(db, members)
    ordered = [m for m in members if m["statement_id"] in rows]
    row_list = [rows[m["statement_id"]] for m in ordered]
    groups: dict[int, list[int]] = {}
    for index, member in enumerate(ordered):
        groups.setdefault(member["cluster_id"], []).append(index)
    write_members(db, new_run, members, name_groups(ClassTfidfLabeller(), row_list, groups))
    return new_run


def merge_clusters(db: Database, into: int, others: list[int], coder: str | None = None) -> int:
    """Merge `others` into `into`; returns the new run's id."""
    others = sorted(set(others) - {into})
    if not others:
        raise ClusterEditError("name at least one other cluster to merge")
    _require(db, [into, *others])
    run = run_containing(db, into)
    members = run_memberships(db, run.id)
    present = {m["cluster_id"] for m in members}
    absent = [str(o) for o in others if o not in present]
    if absent:
        raise ClusterEditError(f"cluster {', '.join(absent)} is not in run {run.id} with cluster {into}")
    snapshots = {str(c): sorted(m["statement_key"] for m in members if m["cluster_id"] == c) for c in [into, *others]}
    moves = {m["statement_id"]: into for m in members if m["cluster_id"] in others}
    coder = coder or default_coder()
    with db.atomic():
        new_run = _copy_run(db, run.id, moves, f"merge {others} into {into}")
        for other in others:
            db["clusters"].update(other, {"status": "merged", "merged_into": into})
        record_decision(db, "merge", into, coder, new_run, others, {"snapshots": snapshots})
    return new_run


def _split_parts(db: Database, members: list[dict], random_state: int = 42) -> set[int]:
    """Statement ids of the smaller half when a cluster is split in two by its own words."""
    from sklearn.cluster import KMeans

    from voicemap.cluster.pipeline import LsaReducer, StatementVectorizer

    rows = _statement_rows(db, members)
    ordered = [m["statement_id"] for m in members if m["statement_id"] in rows]
    features = StatementVectorizer().fit_transform([rows[i] for i in ordered])
    vectors = LsaReducer(random_state=random_state).fit_transform(features)
    labels = KMeans(n_clusters=2, n_init=4, random_state=random_state).fit_predict(vectors)
    sizes = np.bincount(labels, minlength=2)
    smaller = int(np.argmin(sizes)) if sizes[0] != sizes[1] else 1
    return {sid for sid, label in zip(ordered, labels) if label == smaller}


def split_cluster(db: Database, cluster_id: int, statement_ids: list[int] | None = None,
                  label: str | None = None, coder: str | None = None) -> tuple[int, int]:
    """Split statements off into a new cluster (named ones, or the smaller half by the words).

    Returns (new cluster id, new run id).
    """
    _require(db, [cluster_id])
    run = run_containing(db, cluster_id)
    members = [m for m in run_memberships(db, run.id) if m["cluster_id"] == cluster_id]
    member_ids = {m["statement_id"] for m in members}
    if statement_ids:
        outside = sorted(set(statement_ids) - member_ids)
        if outside:
            raise ClusterEditError(f"statement {', '.join(map(str, outside))} is not in cluster {cluster_id}")
        moving = set(statement_ids)
    else:
        if len(members) < 2:
            raise ClusterEditError(f"cluster {cluster_id} has fewer than two statements to split")
        moving = _split_parts(db, members)
    if not moving or moving == member_ids:
        raise ClusterEditError("a split must leave statements on both sides")
    coder = coder or default_coder()
    with db.atomic():
        new_id = create_cluster(db, run.id, label or "split", [], split_from=cluster_id)
        new_run = _copy_run(db, run.id, {sid: new_id for sid in moving}, f"split {cluster_id}")
        if label:
            db["clusters"].update(new_id, {"human_label": label, "labelled_by": coder, "labelled_at": utc_now()})
        keys = sorted(m["statement_key"] for m in members if m["statement_id"] in moving)
        record_decision(db, "split", cluster_id, coder, new_run, [new_id],
                        {"new_id": new_id, "members": keys, "statement_ids": sorted(moving)})
    return new_id, new_run

