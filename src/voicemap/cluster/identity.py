"""Which new cluster is which old one: identity across runs by member overlap.

A researcher renames "app · log · crash" to "App logs people out"; next week new
reviews are imported and the clustering is run again. The renamed cluster must keep
its id (and so its name) as long as its members mostly stay together. Rules, all
deterministic and order-free:

- members are compared by `statement_key` (source path + text), not by statement id,
  because re-importing a changed file gives its statements new ids;
- a new cluster continues an old one when most of the old cluster's members are in it
  and the old cluster is its largest source of previously clustered statements;
- human decisions replay: new clusters whose members mostly came from a cluster a
  researcher merged into another continue the merge target (so the merge holds), and a
  cluster a researcher split off is carved out again from whatever absorbed it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def statement_key(source_path: str | None, text: str) -> str:
    """A key that survives re-import of an unchanged statement (ids do not)."""
    return hashlib.blake2b(f"{source_path or ''}\x1f{text}".encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class PreviousState:
    """What the latest comparable run left behind, plus the human decisions to replay."""

    members: dict[int, set[str]] = field(default_factory=dict)  # cluster id -> member keys
    merge_targets: dict[int, int] = field(default_factory=dict)  # merged-away id -> final target id
    merged_snapshots: dict[int, set[str]] = field(default_factory=dict)  # merged-away id -> its members then
    split_products: dict[int, set[str]] = field(default_factory=dict)  # split-off id -> its members then


def _largest_source(new_keys: set[str], candidates: dict[int, set[str]]) -> tuple[int | None, int]:
    best, best_overlap = None, 0
    for cluster_id in sorted(candidates):
        overlap = len(new_keys & candidates[cluster_id])
        if overlap > best_overlap:
            best, best_overlap = cluster_id, overlap
    return best, best_overlap


def match_clusters(new: dict[int, set[str]], previous: PreviousState) -> dict[int, int]:
    """Map new cluster index -> existing cluster id; unmapped new clusters get a new identity.

    Several new clusters may map to one id only when a human merge says they belong together.
    """
    candidates: dict[int, set[str]] = dict(previous.members)
    for merged_id, snapshot in previous.merged_snapshots.items():
        candidates[-merged_id] = snapshot  # negative: a snapshot that stands for its merge target
    old_keys = set().union(*candidates.values()) if candidates else set()
    merge_target_ids = set(previous.merge_targets.values())
    mapping: dict[int, int] = {}
    for index in sorted(new):
        seen = new[index] & old_keys
        source, overlap = _largest_source(seen, candidates)
        if source is None:
            continue
        if source < 0 or source in merge_target_ids:
            # A researcher merged this: a new cluster drawn mostly from it joins the merge target.
            target = previous.merge_targets.get(abs(source), abs(source))
            if overlap * 2 > len(seen):
                mapping[index] = target
        elif overlap * 2 > len(candidates[source]):
            mapping[index] = source  # most of the old cluster's members stayed together here
    return mapping


def carve_splits(assignments: dict[int, set[str]], previous: PreviousState) -> dict[int, set[str]]:
    """Re-apply human splits: a split-off cluster's members are taken back out of what absorbed them.

    `assignments` maps cluster id -> member keys after matching; returns the corrected map.
    """
    result = {cid: set(keys) for cid, keys in assignments.items()}
    for split_id in sorted(previous.split_products):
        snapshot = previous.split_products[split_id]
        if split_id in result or not snapshot:
            continue
        holder, overlap = _largest_source(snapshot, result)
        if holder is None or overlap * 2 <= len(snapshot):
            continue  # its members scattered: the split no longer describes the data
        moved = result[holder] & snapshot
        if len(moved) == len(result[holder]):
            continue  # nothing would be left behind; keep the holder's identity
        result[holder] -= moved
        result[split_id] = moved
    return result
