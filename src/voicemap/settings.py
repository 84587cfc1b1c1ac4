"""Where voicemap keeps things and the limits it enforces, all overridable by environment.

Environment variables win over defaults so that CI, tests and scripted batch jobs can
redirect everything without touching a config file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_NAME = "voicemap.db"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_field_chars: int


def limits() -> Limits:
    """Size limits protecting memory from huge or hostile files."""
    return Limits(
        max_file_bytes=int(float(os.environ.get("VOICEMAP_MAX_FILE_MB", "200")) * 1_000_000),
        max_field_chars=int(os.environ.get("VOICEMAP_MAX_FIELD_CHARS", "100000")),
    )


def default_db_path() -> Path:
    """`VOICEMAP_DB` if set, else voicemap.db in the current folder (one DB per study folder)."""
    return Path(os.environ.get("VOICEMAP_DB") or DEFAULT_DB_NAME)


def models_dir() -> Path:
    """The shipped models/ folder: beside src/ in a checkout, or installed as package data."""
    packaged = Path(__file__).resolve().parent / "models"
    if packaged.is_dir():
        return packaged
    return PROJECT_ROOT / "models"


def default_codebook_path() -> Path:
    """`VOICEMAP_CODEBOOK` if set, else the shipped default codebook."""
    env = os.environ.get("VOICEMAP_CODEBOOK")
    return Path(env) if env else models_dir() / "codebook.toml"


def sample_feedback_dir() -> Path:
    return PROJECT_ROOT / "sample_feedback"
