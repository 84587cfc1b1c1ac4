"""A text file in an interviews folder that is not a conversation is refused, not imported as speech.

Discussion guides, notes and READMEs hold lines like "Run the tests:" that parse as
speaker turns; imported, everything after one became a "customer's" statements. The
check is measured here on real text both ways: every transcript we have still imports,
and the project's own Markdown documents are refused with one line naming the file.
"""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from conftest import EVAL_DATA, ROOT
from voicemap.cli import main
from voicemap.ingest import InputFileError, ReadOptions, read_path
from voicemap.store import open_db

INTERVIEWS = EVAL_DATA / "anthropic_interviewer"
FORMATS = ROOT / "tests" / "data" / "formats"


def project_documents() -> list:
    """The repository's own Markdown prose (docs, README files), each holding 'Word:' lines somewhere."""
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "models").glob("*.md")),
             ROOT / "sample_feedback" / "README.md"]
    return [path for path in paths if path.is_file()]


def test_every_bundled_and_fixture_transcript_still_imports():
    paths = sorted((ROOT / "sample_feedback" / "interviews").iterdir()) + sorted(FORMATS.glob("*.txt"))
    assert len(paths) >= 6
    for path in paths:
        assert read_path(path).kind == "transcript", path


@pytest.mark.skipif(not INTERVIEWS.is_dir(), reason="../shared/eval/data/anthropic_interviewer not present")
def test_real_interview_transcripts_saved_as_text_files_are_all_accepted(tmp_path):
    csv.field_size_limit(1 << 30)
    accepted = total = 0
    for table in sorted(INTERVIEWS.glob("*.csv")):
        with open(table, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        column = max(rows[0], key=lambda name: len(rows[0][name] or ""))
        for number, row in enumerate(rows):
            path = tmp_path / f"{table.stem}_{number}.txt"
            path.write_text(row[column], encoding="utf-8")
            total += 1
            try:
                read_path(path)
                accepted += 1
            except InputFileError as exc:
                assert "does not read as a transcript" not in str(exc), exc
    assert total >= 200 and accepted == total


def test_the_projects_own_documents_are_refused_with_a_reason(tmp_path):
    documents = project_documents()
    with_turn_lines, refused = 0, []
    for document in documents:
        path = tmp_path / f"{document.parent.name}_{document.name}"
        path.write_text(document.read_text(encoding="utf-8"), encoding="utf-8")
        try:
            read_path(path)
        except InputFileError as exc:
            message = str(exc)
            if "no speaker turns found" in message:
                continue
            assert "\n" not in message and message.startswith(str(path))
            assert "does not read as a transcript" in message and "--kind transcript" in message
            refused.append(path.name)
        with_turn_lines += 1
    assert with_turn_lines >= 2, "expected several documents with 'Word:' lines to test on"
    assert len(refused) == with_turn_lines, f"imported as speech: {with_turn_lines - len(refused)} documents"


def test_kind_transcript_imports_such_a_file_anyway(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputFileError):
        read_path(path)
    source = read_path(path, ReadOptions(kind="transcript"))
    assert source.kind == "transcript" and source.utterances


def test_folder_import_stores_the_interview_and_names_the_refused_file(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    interview = ROOT / "sample_feedback" / "interviews" / "interview_p03_aisha.txt"
    (folder / interview.name).write_text(interview.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "discussion_notes.md").write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    db_path = tmp_path / "study.db"
    result = CliRunner().invoke(main, ["--db", str(db_path), "import", str(folder)])
    assert "discussion_notes.md: does not read as a transcript" in result.output
    assert "1 of 2 files imported" in result.output and "1 failed" in result.output
    db = open_db(db_path)
    assert [row["name"] for row in db.query("select name from sources")] == [interview.name]
    assert db.execute("select count(*) from statements").fetchone()[0] > 50
