"""Re-tagging stored statements: automatic tags are replaced, human codes are not."""

from __future__ import annotations

from click.testing import CliRunner

from study_builder import build_study
from voicemap.cli import main
from voicemap.retag import retag_statements
from voicemap.store import open_db
from voicemap.store.coding import set_human_code

TEXTS = ["The delivery arrived late and the box was damaged.", "I love the recipes, they are great.",
         "The app keeps crashing at checkout.", "Support never answered my email."]


def _study(db):
    # Deliberately wrong automatic codes, as if tagged with an older codebook.
    return build_study(db, [{"text": t, "speaker": f"R{i}", "stage": "awareness", "sentiment": "neutral"}
                            for i, t in enumerate(TEXTS)])


def test_retag_replaces_automatic_tags_and_keeps_human_codes(fresh_db, tagger):
    ids = _study(fresh_db)
    set_human_code(fresh_db, ids[1], "stage", "advocacy", coder="ana")
    seen = []
    report = retag_statements(fresh_db, tagger, progress=lambda *a: seen.append(a), batch_size=3)
    assert (report.total, report.done, report.human_coded, report.cancelled) == (4, 4, 1, False)
    assert seen[0] == ("re-tag", 0, 4) and seen[-1] == ("re-tag", 4, 4) and ("re-tag", 3, 4) in seen
    stages = dict(fresh_db.execute("select id, stage from statements").fetchall())
    assert stages[ids[1]] == "advocacy"  # the human code still wins
    fresh = [t.stage for t in tagger.tag_texts(TEXTS)]
    for statement_id, expected in zip(ids, fresh):
        if statement_id != ids[1]:
            assert stages[statement_id] == expected
    human = list(fresh_db.query("select value, coder from tags where origin = 'human'"))
    assert human == [{"value": "advocacy", "coder": "ana"}]
    auto_stage = fresh_db.execute("select count(*) from tags where origin != 'human' and dimension = 'stage' "
                                  "and value = 'awareness'").fetchone()[0]
    assert auto_stage == sum(stage == "awareness" for stage in fresh)


def test_cancel_stops_between_batches(fresh_db, tagger):
    _study(fresh_db)
    calls = []
    report = retag_statements(fresh_db, tagger, progress=lambda *a: calls.append(a),
                              cancelled=lambda: len(calls) >= 2, batch_size=2)
    assert report.cancelled and report.done == 2
    # every statement still has a complete set of automatic tags (old or new)
    for (statement_id,) in fresh_db.execute("select id from statements").fetchall():
        dims = {r[0] for r in fresh_db.execute("select dimension from tags where statement_id = ?", [statement_id])}
        assert {"sentiment", "pain"} <= dims


def test_cli_retag(tmp_path, monkeypatch, tagger):
    monkeypatch.setattr("voicemap.nlp.tagger.Tagger", lambda codebook: tagger)  # the pipeline is loaded once per run
    path = tmp_path / "study.db"
    ids = _study(open_db(path))
    set_human_code(open_db(path), ids[0], "stage", "support")
    result = CliRunner().invoke(main, ["--db", str(path), "retag"])
    assert result.exit_code == 0, result.output
    assert "Re-tagged 4 of 4 statements" in result.output and "human codes of 1 statements kept" in result.output
    assert open_db(path).execute("select stage from statements where id = ?", [ids[0]]).fetchone()[0] == "support"
