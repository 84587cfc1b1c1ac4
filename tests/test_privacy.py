"""Participants' identities stay out of what voicemap publishes; the database keeps the original."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from voicemap.cli import main
from voicemap.nlp.model import BLANK, resolve_model_name
from voicemap.privacy import Privacy, protect_rows, redact_text, resolve_privacy, set_project_privacy
from voicemap.store import open_db
from voicemap.store.query import select_statements

needs_ner = pytest.mark.skipif(resolve_model_name() == BLANK, reason="needs a trained spaCy pipeline with NER")

INTERVIEW = """Interviewer: Tell me about the delivery problems.
Maria Lopez: The courier never came, and when I rang 07700 900123 nobody answered, which was so frustrating.
Interviewer: Did you try anything else?
Maria Lopez: I emailed support@freshcrate.example and got no reply for a week, awful.
Interviewer: And billing?
Maria Lopez: They charged my card 4111 1111 1111 1111 twice for one box and the refund took ages, really annoying.
Maria Lopez: Dev at the depot was lovely though, he sorted it out in the end and I was relieved.
"""


@pytest.mark.parametrize("text,expected", [
    ("Call me on 07700 900123 or at +44 20 7946 0958.", "Call me on [phone] or at [phone]."),
    ("US office (555) 123-4567, desk 555-1234.", "US office [phone], desk [phone]."),
    ("Write to kim.lee+orders@example.co.uk please", "Write to [email] please"),
    ("My card 4111-1111-1111-1111 was charged twice", "My card [number] was charged twice"),
    ("Account 12345678, IBAN GB29 NWBK 6016 1331 9268 19.", "Account [number], IBAN [number]."),
])
def test_personal_data_patterns_become_placeholders(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "I paid £45.99 on 2024-01-02 for 3 boxes, delivered at 10:30.",
    "Between 2019-2020 the app was on version 4.1.3 and I rated it 4 out of 5.",
    "It took 3 to 5 days and cost 29.99 a week.",
])
def test_ordinary_numbers_are_left_alone(text):
    assert redact_text(text) == text


@needs_ner
def test_names_are_found_by_ner():
    redacted = redact_text("Sarah from support was lovely, unlike Tom Baker.")
    assert redacted == "[name] from support was lovely, unlike [name]."


def test_names_the_project_knows_are_redacted_even_without_ner():
    assert redact_text("Ask Priyanka about the box.", known_names={"Priyanka"}) == "Ask [name] about the box."


def test_pseudonymised_rows_hide_participant_source_and_repeated_names():
    rows = [{"id": 1, "text": "Late again.", "participant": "Fiona", "speaker": "Fiona", "pseudonym": "P07",
             "source": "reviews_fiona.jsonl", "source_id": 3, "metadata": {"author": "Fiona", "version": "4.1"}}]
    (row,) = protect_rows(rows, Privacy(pseudonymise=True))
    assert (row["participant"], row["speaker"], row["source"]) == ("P07", "P07", "source 3")
    assert row["metadata"] == {"version": "4.1"}
    assert rows[0]["participant"] == "Fiona"  # the caller's rows are not changed


@pytest.fixture
def study(tmp_path):
    db_path = tmp_path / "study.db"
    transcript = tmp_path / "interview_maria_lopez.txt"
    transcript.write_text(INTERVIEW, encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", str(db_path), "import", str(transcript)])
    assert result.exit_code == 0, result.output
    return db_path


SECRETS = ("07700 900123", "support@freshcrate.example", "4111 1111 1111 1111")


def test_map_redacts_quotes_and_pseudonymises_citations(study):
    runner = CliRunner()
    plain = runner.invoke(main, ["--db", str(study), "map"]).output
    assert any(secret in plain for secret in SECRETS)  # the evidence does quote these statements
    private = runner.invoke(main, ["--db", str(study), "map", "--redact", "--pseudonymise"]).output
    assert not any(secret in private for secret in SECRETS)
    assert re.search(r"\\?\[(phone|email|number)\\?\]", private)  # Markdown shows \[phone\] as [phone]
    assert "Maria" not in private and "interview_maria_lopez" not in private
    assert "P01" in private
    # the database still holds what was said
    db = open_db(study)
    stored = " ".join(r[0] for r in db.execute("select text from statements"))
    assert all(secret in stored for secret in SECRETS)


def test_export_statements_redacted_and_pseudonymised(study):
    result = CliRunner().invoke(main, ["--db", str(study), "export", "statements", "--format", "jsonl",
                                       "--redact", "--pseudonymise"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert records and {r["participant"] for r in records} == {"P01"}
    text = " ".join(r["text"] for r in records)
    assert not any(secret in text for secret in SECRETS) and "[phone]" in text and "[number]" in text


def test_project_default_applies_until_a_command_overrides_it(study, monkeypatch):
    runner = CliRunner()
    shown = runner.invoke(main, ["--db", str(study), "privacy"])
    assert "redact quotes off" in shown.output
    runner.invoke(main, ["--db", str(study), "privacy", "--redact", "--pseudonymise"])
    exported = runner.invoke(main, ["--db", str(study), "export", "statements", "--format", "csv"]).output
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["participant"] for r in rows} == {"P01"} and "07700 900123" not in exported
    overridden = runner.invoke(main, ["--db", str(study), "export", "statements", "--no-redact",
                                      "--no-pseudonymise"]).output
    assert "07700 900123" in overridden and "Maria Lopez" in overridden
    monkeypatch.setenv("VOICEMAP_REDACT", "0")
    db = open_db(study)
    assert resolve_privacy(db) == Privacy(redact=False, pseudonymise=True)  # the environment beats the project


def test_settings_live_in_the_project_database(fresh_db):
    assert "settings" in fresh_db.table_names()
    assert set_project_privacy(fresh_db, redact=True) == Privacy(redact=True, pseudonymise=False)
    assert resolve_privacy(fresh_db) == Privacy(redact=True, pseudonymise=False)
    assert resolve_privacy(fresh_db, redact=False).redact is False


def test_statement_rows_keep_their_text_without_privacy(study):
    db = open_db(study)
    rows = list(select_statements(db))
    assert list(protect_rows(rows, Privacy())) == rows
