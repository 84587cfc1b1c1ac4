"""The CLI as a batch user drives it: import, export, map, demo, help, exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from voicemap.cli import main
from voicemap.export import STATEMENT_FIELDS

SURVEY = (
    "respondent_id,segment,nps,what_could_we_improve\n"
    "R1,family,3,\"Delivery was late three weeks running, and nobody told us why.\"\n"
    "R2,single,9,\"Honestly nothing, the recipes are great and quick to cook.\"\n"
    "R3,family,2,\"I couldn't find where to skip a week in the app, so I was charged again.\"\n"
)


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def survey(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    return path


def test_import_then_export_jsonl_has_the_contract_fields(runner, survey, tmp_path):
    db = tmp_path / "s.db"
    result = runner.invoke(main, ["--db", str(db), "import", str(survey)])
    assert result.exit_code == 0, result.output
    assert "imported" in result.output and "survey" in result.output
    result = runner.invoke(main, ["--db", str(db), "export", "statements", "--format", "jsonl"])
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.output.splitlines()]
    assert records and all(tuple(r) == STATEMENT_FIELDS for r in records)
    assert {r["participant"] for r in records} == {"R1", "R2", "R3"}
    assert {r["source_row"] for r in records} == {"R1", "R2", "R3"}
    skip = next(r for r in records if "skip a week" in r["text"])
    assert skip["pain"] is True


def test_export_csv_to_file(runner, survey, tmp_path):
    db = tmp_path / "s.db"
    runner.invoke(main, ["--db", str(db), "import", str(survey)])
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["--db", str(db), "export", "statements", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == STATEMENT_FIELDS and len(rows) >= 3


def test_db_from_environment(runner, survey, tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEMAP_DB", str(tmp_path / "env.db"))
    assert runner.invoke(main, ["import", str(survey)]).exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_bad_file_exits_nonzero_with_one_line_error(runner, tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    result = runner.invoke(main, ["--db", str(tmp_path / "s.db"), "import", str(bad)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {bad}: file is empty"]


def test_unknown_text_column_names_the_columns(runner, survey, tmp_path):
    result = runner.invoke(main, ["--db", str(tmp_path / "s.db"), "import", str(survey), "--text-column", "nope"])
    assert result.exit_code == 1
    assert "'nope' not found; columns are: respondent_id, segment, nps, what_could_we_improve" in result.output


def test_reimport_reports_unchanged(runner, survey, tmp_path):
    db = tmp_path / "s.db"
    runner.invoke(main, ["--db", str(db), "import", str(survey)])
    result = runner.invoke(main, ["--db", str(db), "import", str(survey)])
    assert result.exit_code == 0 and "unchanged" in result.output


def test_map_writes_markdown_file(runner, survey, tmp_path):
    db = tmp_path / "s.db"
    runner.invoke(main, ["--db", str(db), "import", str(survey)])
    out = tmp_path / "map.md"
    result = runner.invoke(main, ["--db", str(db), "map", "-o", str(out)])
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Customer journey map") and "survey.csv, R" in text


def test_every_command_has_help(runner):
    commands = [[], ["import"], ["export"], ["export", "statements"], ["map"], ["demo"]]
    for command in commands:
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_version_names_the_spacy_pipeline(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and "spaCy pipeline:" in result.output


def test_demo_writes_a_journey_map_with_cited_quotes(runner, tmp_path):
    out = tmp_path / "journey_map.md"
    result = runner.invoke(main, ["demo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.count("\n> “") >= 8  # quotes across the stages
    assert "interview_p01" in text and "survey_2026_q1.csv" in text and "app_reviews.jsonl" in text
