"""The one error type readers raise, so every front end can show one line."""

from __future__ import annotations

from pathlib import Path


class InputFileError(Exception):
    """A file that cannot be imported; str() is a one-line message naming the file."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
