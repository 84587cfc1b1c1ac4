"""Shared fixtures: no test touches real user data, and the spaCy pipeline loads once."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicemap.codebook import load_codebook
from voicemap.store import open_db

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EVAL_DATA = SHARED / "eval" / "data"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Point every voicemap default at a temp folder; code as a known coder."""
    monkeypatch.setenv("VOICEMAP_DB", str(tmp_path / "voicemap.db"))
    monkeypatch.setenv("VOICEMAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VOICEMAP_CODER", "tester")
    monkeypatch.delenv("VOICEMAP_CODEBOOK", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fresh_db():
    return open_db(None)


@pytest.fixture(scope="session")
def codebook():
    return load_codebook()


@pytest.fixture(scope="session")
def tagger(codebook):
    from voicemap.nlp.tagger import Tagger

    return Tagger(codebook)


@pytest.fixture(scope="session")
def parsed_tagger(codebook):
    """The trained pipeline with its parser (`VOICEMAP_PIPELINE=no-ner`), for the parse-reading code paths."""
    import os

    from voicemap.nlp.tagger import Tagger

    saved = os.environ.get("VOICEMAP_PIPELINE")
    os.environ["VOICEMAP_PIPELINE"] = "no-ner"
    try:
        return Tagger(codebook, quiet=True)
    finally:
        if saved is None:
            os.environ.pop("VOICEMAP_PIPELINE")
        else:
            os.environ["VOICEMAP_PIPELINE"] = saved


@pytest.fixture(scope="session")
def blank_tagger(codebook):
    from voicemap.nlp.tagger import Tagger

    return Tagger(codebook, model="blank", quiet=True)


@pytest.fixture(scope="session")
def sample_dir():
    return ROOT / "sample_feedback"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory, tagger, sample_dir):
    """The bundled study imported once (read-only for tests that use it)."""
    from voicemap.importer import import_paths

    db = open_db(tmp_path_factory.mktemp("sample") / "sample.db")
    report = import_paths(db, [sample_dir], tagger=tagger)
    assert not report.failed, [f.error for f in report.failed]
    return db
