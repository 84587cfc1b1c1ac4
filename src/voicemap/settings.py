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
    max_columns: int = 2_000  # wide survey exports have hundreds; 10,000 is an attack or a mistake
    max_rows: int = 1_000_000  # rows, records or speaker turns in one file
    max_json_depth: int = 64  # review records nest a level or two; deeper means not a list of records
    max_unpacked_bytes: int = 200_000_000  # what a zipped format (DOCX) may expand to


def _int_env(name: str, default: int) -> int:
    """A positive integer from the environment; a typo falls back to the default rather than crash."""
    try:
        value = int(float(os.environ.get(name, default)))
    except ValueError:
        return default
    return value if value > 0 else default


def limits() -> Limits:
    """Size limits protecting memory from huge or hostile files; each is named in the error it causes."""
    return Limits(
        max_file_bytes=int(float(os.environ.get("VOICEMAP_MAX_FILE_MB", "200")) * 1_000_000),
        max_field_chars=int(os.environ.get("VOICEMAP_MAX_FIELD_CHARS", "100000")),
        max_columns=_int_env("VOICEMAP_MAX_COLUMNS", 2_000),
        max_rows=_int_env("VOICEMAP_MAX_ROWS", 1_000_000),
        max_json_depth=_int_env("VOICEMAP_MAX_JSON_DEPTH", 64),
        max_unpacked_bytes=_int_env("VOICEMAP_MAX_UNPACKED_MB", 200) * 1_000_000,
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
