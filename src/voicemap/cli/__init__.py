"""The headless front end: `voicemap` commands over the same core the TUI uses.

`voicemap` with no command opens the TUI; every other command is scriptable. Each
command group lives in its own module and registers itself on `main` here.
"""

from __future__ import annotations

from voicemap.cli.app import main
from voicemap.cli import commands, export  # noqa: F401  (register commands)
from voicemap.cli import retag  # noqa: F401  (voicemap retag, voicemap ask)
from voicemap.cli import backup  # noqa: F401  (voicemap backup, voicemap restore)
from voicemap.cli import interop, privacy  # noqa: F401  (export qdpx/codebook/matrix, codebook import, privacy)
from voicemap.cli import cluster  # noqa: F401  (cluster, clusters, report, export clusters)
from voicemap.cli import evaluate, learn  # noqa: F401  (voicemap eval, voicemap learn)

__all__ = ["main"]
