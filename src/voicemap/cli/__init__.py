"""The headless front end: `voicemap` commands over the same core the TUI uses.

`voicemap` with no command opens the TUI; every other command is scriptable. Each
command group lives in its own module and registers itself on `main` here.
"""

from __future__ import annotations

from voicemap.cli.app import main
from voicemap.cli import commands, export  # noqa: F401  (register commands)

__all__ = ["main"]
