"""Run the clustering on stored statements and store the run: the one entry point.

`cluster_pain_points` selects the statements of a scope (by default every pain point),
fits the pipeline, carries cluster identities over from the previous run of the same
scope (so renames survive), replays human merges and splits, and writes everything in
one transaction: a run is stored whole or not at all.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
from sqlite_utils import Database

from voicemap.cluster.identity import carve_splits, match_clusters
from voicemap.cluster.persist import (DEFAULT_SCOPE, create_cluster, insert_run, member_key, previous_state,
                                      retire_missing, scope_key, write_members)
from voicemap.store.query import StatementFilter, select_statements

SCOPE_FIELDS = ("pain", "stage", "source", "participant", "pain_category", "touchpoint", "sentiment")


def scope_filter(scope: dict[str, Any]) -> StatementFilter:
    return StatementFilter(**{k: v for k, v in scope.items() if k in SCOPE_FIELDS and v is not None})


def make_scope(stage: str | None = None, all_statements: bool = False, **more: Any) -> dict[str, Any]:
    scope = {} if all_statements else dict(DEFAULT_SCOPE)
    scope.update({k: v for k, v in {"stage": stage, **more}.items() if v is not None})
    return scope


def centrality_of(vectors: np.ndarray, indices: list[int]) -> dict[int, float]:
    """Cosine similarity of each member to its cluster's centre (how typical it is)."""
    if not indices or vectors.shape[1] == 0:
        return {i: 0.0 for i in indices}
    block = vectors[indices]
    centre = block.mean(axis=0)
    norm = np.linalg.norm(centre)
    scores = block @ (centre / norm) if norm > 0 else np.zeros(len(indices))
    return {i: round(float(s), 6) for i, s in zip(indices, scores)}


def name_groups(labeller, rows: list[dict[str, Any]], groups: dict[int, list[int]]) -> dict[int, tuple[str, list]]:
    """c-TF-IDF names for the final groups (after identity matching and replayed human edits)."""
    labels = np.full(len(rows), -1, dtype=int)
    order = sorted(groups)
    for position, cluster_id in enumerate(order):
        labels[groups[cluster_id]] = position
    terms = labeller.fit([r.get("lemmas") or "" for r in rows], labels)
    return {cid: (labeller.name(terms.get(pos, [])), [[t, round(w, 5)] for t, w in terms.get(pos, [])])
            for pos, cid in enumerate(order)}


class ClusteringCancelled(Exception):
    """Raised when the caller cancels; nothing of the run was stored."""


def cluster_pain_points(db: Database, scope: dict[str, Any] | None = None, k: int | None = None,
                        min_size: int | None = None, pipeline=None,
                        progress: Callable[[str], None] | None = None,
                        cancelled: Callable[[], bool] = lambda: False) -> int:
    """Cluster the statements of `scope` (default: all pain points); returns the new run's id.

    `progress` receives one-line messages; `cancelled` is polled between the steps (the
    fit itself takes seconds even at 20,000 statements), and a cancelled run stores nothing.
    """
    from voicemap.cluster.pipeline import DEFAULT_MIN_SIZE, ClusterPipeline

    say = progress or (lambda message: None)
    scope = dict(DEFAULT_SCOPE if scope is None else scope)
    if pipeline is None:
        pipeline = ClusterPipeline(k=k, min_size=min_size or DEFAULT_MIN_SIZE)
    started = time.monotonic()
    rows = list(select_statements(db, scope_filter(scope)))
    say(f"clustering {len(rows):,} statements")
    if cancelled():
        raise ClusteringCancelled("clustering cancelled before it started; nothing was stored")
    result = pipeline.fit(rows)
    if cancelled():
        raise ClusteringCancelled("clustering cancelled; nothing was stored")
    keys = [member_key(row) for row in rows]
    new_sets: dict[int, set[str]] = {}
    for index, label in enumerate(result.labels):
        if label >= 0:
            new_sets.setdefault(int(label), set()).add(keys[index])
    key = scope_key(scope)
    with db.atomic():
        previous = previous_state(db, key)
        mapping = match_clusters(new_sets, previous)
        run_id = insert_run(db, "auto", scope, pipeline.params(), pipeline.params()["clusterer"], len(rows),
                            seconds=0.0)
        ids = {label: mapping.get(label) or create_cluster(db, run_id, result.names[label], []) for label in sorted(new_sets)}
        by_id: dict[int, set[str]] = {}
        for label, cluster_id in ids.items():
            by_id.setdefault(cluster_id, set()).update(new_sets[label])
        by_id = carve_splits(by_id, previous)
        owner = {}
        for cluster_id in sorted(by_id):
            for member in by_id[cluster_id]:
                owner.setdefault(member, cluster_id)
        groups: dict[int, list[int]] = {}
        for index, label in enumerate(result.labels):
            if label >= 0:
                groups.setdefault(owner[keys[index]], []).append(index)
        members = []
        for cluster_id, indices in sorted(groups.items()):
            central = centrality_of(result.vectors, indices)
            members += [{"cluster_id": cluster_id, "statement_id": rows[i]["id"], "statement_key": keys[i],
                         "centrality": central[i]} for i in indices]
        write_members(db, run_id, members, name_groups(pipeline.labeller, rows, groups))
        retire_missing(db, set(groups), previous.members)
        db["cluster_runs"].update(run_id, {"seconds": round(time.monotonic() - started, 3)})
    say(f"{len(groups)} clusters from {len(members):,} statements in {time.monotonic() - started:.1f}s")
    return run_id
