"""Re-tagging after a codebook edit re-tags only what the edit can affect, and never touches human codes."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from study_builder import build_study
from voicemap.codebook import load_codebook
from voicemap.retag import note_tagged_sources, plan_retag, retag_statements
from voicemap.retag_state import RECORD_KEY, codebook_state, compare, load_record
from voicemap.store import open_db
from voicemap.store.coding import set_human_code
from voicemap.store.settings import get_setting

SURVEY_AND_REVIEWS = ("survey_2026_q1.csv", "app_reviews.jsonl")
NEW_CUES = '"ice pack", "insulation",'  # nowhere in the shipped codebook; the sample study mentions ice packs


def edited_codebook(tmp_path, name: str, old: str, new: str):
    text = Path(load_codebook().path).read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_codebook(path)


def statement_tags(path) -> dict[int, list[tuple]]:
    conn = sqlite3.connect(str(path))
    rows = conn.execute("select statement_id, dimension, value, origin, confidence, cue, coder, created_at, "
                        "correction_id, superseded_by from tags order by id").fetchall()
    columns = {r[0]: r[1:] for r in conn.execute(
        "select id, stage, stage_confidence, touchpoints, emotions, sentiment, sentiment_score, pain, pain_category, "
        "origin, lemmas, actions from statements")}
    conn.close()
    tags: dict[int, list[tuple]] = {}
    for row in rows:
        tags.setdefault(row[0], []).append(row[1:])
    return {i: (columns[i], tags.get(i, [])) for i in columns}


def without_times(study: dict[int, tuple]) -> dict[int, tuple]:
    return {i: (columns, sorted((t[:6] + t[7:] for t in tags), key=repr)) for i, (columns, tags) in study.items()}


@pytest.fixture(scope="module")
def tagged_study(tmp_path_factory, tagger, sample_dir):
    """The sample survey and reviews, re-tagged once (so the study records its codebook), with human codes."""
    from voicemap.importer import import_paths

    path = tmp_path_factory.mktemp("incremental") / "study.db"
    db = open_db(path)
    assert not import_paths(db, [sample_dir / name for name in SURVEY_AND_REVIEWS], tagger=tagger).failed
    retag_statements(db, tagger)
    assert plan_retag(db, tagger).statement_ids == []
    ice = [r[0] for r in db.execute("select id from statements where text like '%ice pack%' order by id")]
    other = db.execute("select id from statements where text not like '%ice pack%' order by id limit 1").fetchone()[0]
    set_human_code(db, ice[0], "touchpoint", ["delivery"], coder="ana")  # a human code on an affected statement
    set_human_code(db, other, "stage", "support", coder="ben")
    db.conn.close()
    return path, ice


@pytest.fixture(scope="module")
def edited_tagger(tmp_path_factory):
    """A tagger whose codebook differs from the shipped one in one code: two cues added to packaging."""
    from voicemap.nlp.tagger import Tagger

    codebook = edited_codebook(tmp_path_factory.mktemp("codebook"), "edited.toml",
                               '"damaged box", "packet", "lid", "gift wrap",',
                               f'"damaged box", "packet", "lid", "gift wrap", {NEW_CUES}')
    return Tagger(codebook)


def copy_of(tagged_study, tmp_path, name: str):
    path = tmp_path / name
    shutil.copyfile(tagged_study[0], path)
    return path


def test_unchanged_codebook_retags_nothing(tagged_study, tmp_path, tagger):
    path = copy_of(tagged_study, tmp_path, "same.db")
    before = statement_tags(path)
    report = retag_statements(open_db(path), tagger)
    assert (report.planned, report.done) == (0, 0)
    assert "unchanged" in report.reason and "nothing to re-tag" in report.reason
    assert statement_tags(path) == before  # not even rewritten


def test_one_code_change_retags_only_what_it_can_affect(tagged_study, tmp_path, edited_tagger):
    edited = edited_tagger
    incremental, full = copy_of(tagged_study, tmp_path, "inc.db"), copy_of(tagged_study, tmp_path, "full.db")
    before = statement_tags(incremental)
    db = open_db(incremental)
    plan = plan_retag(db, edited)
    assert plan.reason.startswith("codebook changed: touchpoints.packaging (2 cues added); re-tagging ")
    assert f"of {plan.total:,} statements" in plan.reason
    ice = tagged_study[1]
    assert set(ice) <= set(plan.statement_ids) and len(plan.statement_ids) < plan.total / 4
    report = retag_statements(db, edited, plan=plan)
    assert report.done == len(plan.statement_ids) and not report.cancelled
    after = statement_tags(incremental)

    # the affected statements carry the new code; the one a researcher coded keeps the human code
    touchpoints = {i: after[i][0][2] for i in ice}
    assert touchpoints[ice[0]] == '["delivery"]'
    assert all("packaging" in touchpoints[i] for i in ice[1:])
    human = [t for i in after for t in after[i][1] if t[2] == "human"]
    assert human == [t for i in before for t in before[i][1] if t[2] == "human"] and len(human) == 2
    # statements the change cannot affect were not even rewritten
    untouched = set(before) - set(plan.statement_ids)
    assert untouched and all(after[i] == before[i] for i in untouched)

    # and the study is exactly what re-tagging every statement gives
    retag_statements(open_db(full), edited, everything=True)
    assert without_times(statement_tags(full)) == without_times(after)
    assert plan_retag(db, edited).statement_ids == []  # recorded: a second run has nothing to do


def test_interrupted_run_is_planned_again_from_either_codebook(tagged_study, tmp_path, edited_tagger):
    edited = edited_tagger
    db = open_db(copy_of(tagged_study, tmp_path, "cancel.db"))
    planned = plan_retag(db, edited).statement_ids
    calls = []
    report = retag_statements(db, edited, progress=lambda *a: calls.append(a), cancelled=lambda: len(calls) >= 2,
                              batch_size=2)
    assert report.cancelled and report.done == 2
    assert len(load_record(db).states) == 2  # its tags are now from the old codebook or the new one
    assert plan_retag(db, edited).statement_ids == planned


def test_sources_imported_after_the_record_are_retagged(tagged_study, tmp_path, tagger):
    db = open_db(copy_of(tagged_study, tmp_path, "more.db"))
    ids = build_study(db, [{"text": "The ice packs had melted again.", "source": "late.csv", "stage": "awareness"}])
    plan = plan_retag(db, tagger)
    assert plan.statement_ids == ids
    assert plan.reason == f"1 source imported since the last re-tag; re-tagging 1 of {plan.total:,} statements"
    source_id = db.execute("select source_id from statements where id = ?", ids).fetchone()[0]
    note_tagged_sources(db, tagger, [source_id])  # what an import does when it tagged with this tagger
    assert plan_retag(db, tagger).statement_ids == []


def test_what_a_codebook_edit_changes(codebook, tmp_path):
    state = {"format": 1, "tagger": "t", **codebook_state(codebook)}

    def changed(old: str, new: str):
        edited = edited_codebook(tmp_path, f"c{len(list(tmp_path.iterdir()))}.toml", old, new)
        return compare(state, {"format": 1, "tagger": "t", **codebook_state(edited)})

    assert not compare(state, dict(state))
    # anything that can change any statement's tags: every statement
    assert "tagger changed" in compare(state, {**state, "tagger": "another model"}).everything
    assert "emotion codes" in changed('[[emotion]]\nid = "relief"', '[[emotion]]\nid = "gratitude"').everything
    text = Path(codebook.path).read_text(encoding="utf-8")
    first = text.index("\n[[stage]]\n")
    second = text.index("\n[[stage]]\n", first + 1)
    third = text.index("\n[[stage]]\n", second + 1)
    swapped = changed(text[first:third], text[second:third] + text[first:second])  # consideration before awareness
    assert "order of the stages" in swapped.everything
    # local changes: the statements a cue can match, or that carry the code
    cue = changed('"damaged box", "packet",', '"damaged box",')
    assert cue.everything is None and cue.parts == ["touchpoints.packaging (1 cue removed)"]
    assert cue.phrases == {"touchpoint:packaging": (set(), {"packet"})}
    hint = changed('stage_hint = "onboarding"', 'stage_hint = "usage"')
    assert hint.everything is None and hint.touchpoints == {"delivery"} and not hint.phrases
    stage = '\n[[stage]]\nid = "renewal"\ncues = ["renew my plan"]\n'
    new_stage = changed("\n[[touchpoint]]\n", f"{stage}\n[[touchpoint]]\n")  # after the last stage
    assert new_stage.everything is None and new_stage.phrases == {"stage:renewal": ({"renew my plan"}, set())}


def test_cli_says_what_changed_and_keeps_human_codes(tagged_study, tmp_path, monkeypatch, tagger):
    from voicemap.cli import main

    path = copy_of(tagged_study, tmp_path, "cli.db")
    monkeypatch.setattr("voicemap.nlp.tagger.Tagger", lambda codebook: tagger)
    result = CliRunner().invoke(main, ["--db", str(path), "retag"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "codebook and tagger unchanged since the last re-tag; nothing to re-tag"
    result = CliRunner().invoke(main, ["--db", str(path), "retag", "--all"])
    assert result.exit_code == 0, result.output
    total = open_db(path).execute("select count(*) from statements").fetchone()[0]
    assert f"asked to re-tag every statement; re-tagging all {total:,} statements" in result.output
    assert f"Re-tagged {total:,} of {total:,} statements" in result.output
    assert "human codes of 2 statements kept" in result.output
    assert get_setting(open_db(path), RECORD_KEY)


def test_a_fresh_import_needs_no_retag_until_the_codebook_changes(tmp_path, tagger, edited_tagger, sample_dir):
    from voicemap.importer import import_paths

    db = open_db(tmp_path / "fresh.db")
    assert not import_paths(db, [sample_dir / "survey_2026_q1.csv"], tagger=tagger).failed
    assert plan_retag(db, tagger).statement_ids == []  # the import recorded what tagged it
    plan = plan_retag(db, edited_tagger)
    total = db.execute("select count(*) from statements").fetchone()[0]
    assert 0 < len(plan.statement_ids) < total  # only what the packaging edit can reach
