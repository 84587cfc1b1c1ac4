"""The files researchers really have: Zoom/Teams/Otter transcripts, platform survey exports, store reviews.

Fixtures in tests/data/formats/ are small fictional files written for voicemap in each
tool's own shape, ugly cases included (BOM, CRLF, empty cues, one speaker spelled two
ways, quoted newlines, personal-data columns); Word files are built here with
python-docx. Bad input must give one line naming the file and store nothing.
"""

from __future__ import annotations

import codecs
import zipfile

import pytest
from click.testing import CliRunner

from conftest import EVAL_DATA, ROOT
from voicemap.cli import main
from voicemap.ingest import InputFileError, ReadOptions, iter_input_files, read_path

FORMATS = ROOT / "tests" / "data" / "formats"
INTERVIEWS = EVAL_DATA / "anthropic_interviewer"


def customer_turns(source):
    return [u for u in source.utterances if u.is_customer]


# --- transcripts ---------------------------------------------------------------------------------

def test_zoom_webvtt_with_bom_and_crlf_merges_one_speakers_cues():
    source = read_path(FORMATS / "zoom_interview.vtt")
    assert source.kind == "transcript" and source.metadata["detected"] == "WebVTT captions"
    assert source.encoding == "utf-8-sig"
    leila = customer_turns(source)
    assert [u.speaker for u in leila] == ["Leila Haddad", "Leila Haddad"]
    # cues 2 and 3 are one turn, cited by the first cue's start time
    assert leila[0].text == "A colleague kept bringing her lunch from it, so I looked it up on my phone that evening."
    assert leila[0].location == "00:00:07"
    assert leila[1].text.endswith("so I gave up and finished it on the website.")  # a two-line cue joined
    assert [u.speaker for u in source.utterances if not u.is_customer] == ["Interviewer", "Interviewer"]
    assert source.skipped == ["cue at line 18: no words"]  # the empty cue is reported, not imported


def test_teams_voice_tags_and_one_speaker_spelled_two_ways():
    source = read_path(FORMATS / "teams_interview.vtt")
    priya = customer_turns(source)
    assert {u.speaker for u in priya} == {"Priya Nair"}
    assert priya[0].text == ("It was supposed to come between four and eight. "
                             "It turned up at quarter past nine with melted ice packs.")
    assert "<v" not in priya[0].text and "</v>" not in priya[0].text
    # nobody is called "Interviewer", so the speaker who only asks questions is taken as one, and we say so
    assert [u.speaker for u in source.utterances if not u.is_customer] == ["Sam Okafor", "Sam Okafor"]
    assert any("Sam Okafor" in w and "--interviewer" in w for w in source.warnings)


def test_naming_the_interviewer_overrides_the_guess():
    source = read_path(FORMATS / "teams_interview.vtt", ReadOptions(interviewer_names=("Sam Okafor",)))
    assert not source.warnings
    assert {u.speaker for u in customer_turns(source)} == {"Priya Nair"}


def test_srt_with_crlf_multiline_cues_and_a_nameless_continuation():
    source = read_path(FORMATS / "descript_interview.srt")
    assert source.metadata["detected"] == "SubRip subtitles"
    (marco,) = customer_turns(source)
    assert marco.text == ("The price went up twice in three months and nobody told me. "
                          "I only noticed on my bank statement.")
    assert marco.location == "00:00:04" and marco.timestamp == "00:00:04"


@pytest.mark.parametrize("name,line", [("broken_cue.vtt", 6), ("broken_cue.srt", 5)])
def test_broken_cue_is_an_error_naming_the_file_and_line(name, line):
    with pytest.raises(InputFileError) as info:
        read_path(FORMATS / name)
    message = str(info.value)
    assert message.startswith(str(FORMATS / name)) and f"line {line}" in message and "\n" not in message


def test_captions_in_a_txt_file_are_read_as_captions(tmp_path):
    path = tmp_path / "zoom_export.txt"
    path.write_bytes((FORMATS / "zoom_interview.vtt").read_bytes())
    source = read_path(path)
    assert source.metadata["detected"] == "WebVTT captions (in a .txt file)"
    assert len(customer_turns(source)) == 2


def test_otter_plain_text_speaker_lines_above_the_turn():
    source = read_path(FORMATS / "otter_export.txt")
    aisha = customer_turns(source)
    assert [(u.speaker, u.location) for u in aisha] == [("Aisha Rahman", "00:00:09"), ("Aisha Rahman", "00:01:02")]
    # "The recipes were easy: twenty minutes" is speech, not a speaker called "The recipes were easy"
    assert aisha[0].text == "Honestly it was lovely. The recipes were easy: twenty minutes, one pan."
    assert {u.speaker for u in source.utterances if not u.is_customer} == {"Jo Martin"}


def test_name_with_timestamp_in_brackets():
    source = read_path(FORMATS / "rev_style.txt")
    assert [(u.speaker, u.location) for u in customer_turns(source)] == [("Dan Cole", "00:00:09"),
                                                                         ("Dan Cole", "00:00:24")]


def _otter_docx(path):
    import docx

    document = docx.Document()
    document.add_paragraph("FreshCrate interview, 12 March (fictional)")
    document.add_paragraph("Interviewer  0:04")
    document.add_paragraph("What happened with your last order?")
    document.add_paragraph("Grace Kim  0:11")
    document.add_paragraph("Two ingredients were missing.\nThe chat bot kept sending me help articles.")
    table = document.add_table(rows=2, cols=3)
    for row, cells in zip(table.rows, [("Interviewer", "0:40", "Did anyone fix it?"),
                                       ("Grace Kim", "0:46", "A refund came after a week, which is too slow.")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.save(path)
    return path


def test_word_transcript_paragraphs_line_breaks_and_table_rows(tmp_path):
    source = read_path(_otter_docx(tmp_path / "grace.docx"))
    assert source.metadata["detected"] == "Word document transcript"
    grace = customer_turns(source)
    assert [(u.speaker, u.location) for u in grace] == [("Grace Kim", "00:00:11"), ("Grace Kim", "00:00:46")]
    assert grace[0].text == "Two ingredients were missing. The chat bot kept sending me help articles."
    assert grace[1].text == "A refund came after a week, which is too slow."


def _write(path, data):
    path.write_bytes(data)
    return path


def _zip(path, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("make,problem", [
    (lambda p: _write(p, (FORMATS / "not_really.docx").read_bytes()), "plain text with a .docx extension"),
    (lambda p: _write(p, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600), "Word 97-2003"),
    (lambda p: _zip(p, {"xl/workbook.xml": b"<workbook/>"}), "not a Word document"),
    (lambda p: _zip(p, {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\x00" * 3_000_000}), "zip bomb"),
    (lambda p: _zip(p, {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<not-word"}), "damaged Word"),
])
def test_docx_that_is_really_something_else(tmp_path, make, problem):
    path = make(tmp_path / "interview.docx")
    with pytest.raises(InputFileError, match=problem) as info:
        read_path(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_folders_are_walked_for_the_new_formats(tmp_path):
    for name in ("zoom_interview.vtt", "descript_interview.srt", "otter_export.txt"):
        (tmp_path / name).write_bytes((FORMATS / name).read_bytes())
    _otter_docx(tmp_path / "grace.docx")
    (tmp_path / "~$grace.docx").write_bytes(b"Word lock file")
    found = sorted(p.name for p in iter_input_files([tmp_path]))
    assert found == ["descript_interview.srt", "grace.docx", "otter_export.txt", "zoom_interview.vtt"]


# --- surveys -------------------------------------------------------------------------------------

def test_qualtrics_three_header_rows_question_text_and_response_id():
    source = read_path(FORMATS / "qualtrics_export.csv")
    assert source.kind == "survey"
    assert source.metadata["detected"] == "Qualtrics survey export (3 header rows, respondent id from 'ResponseId')"
    assert [u.speaker for u in source.utterances] == ["R_3kPq8sLmN2vXa1", "R_3kPq8sLmN2vXa1", "R_1xYz9AbCdEfGh2",
                                                      "R_1xYz9AbCdEfGh2", "R_9QwErTyUiOpAs3"]
    first = source.utterances[0]
    # each answer keeps its question's text (not "Q3_TEXT"), and the answer's quoted line break
    assert first.question == "What could we do better?" and first.metadata["question_id"] == "Q3_TEXT"
    assert source.utterances[1].question == "What do you like most about FreshCrate?"
    assert first.text.startswith("Deliveries keep arriving after nine at night,\nso the kids")
    assert first.metadata["nps"] == 3.0 and first.rating == 3.0 and first.metadata["segment"] == "Weekly family"
    assert first.date == "2026-02-02 18:06:55" and first.location == "row 5"
    assert any("Survey Preview" in reason for reason in source.skipped)  # the preview row is not a respondent
    everything = repr([u.metadata for u in source.utterances])
    assert "ana.novak@example.com" not in everything and "203.0.113.7" not in everything and "Novak" not in everything
    assert any("personal-data columns" in w for w in source.warnings)


def test_surveymonkey_two_header_rows():
    source = read_path(FORMATS / "surveymonkey_export.csv")
    assert source.metadata["detected"] == ("SurveyMonkey survey export (2 header rows, "
                                           "respondent id from 'Respondent ID')")
    assert [u.speaker for u in source.utterances] == ["114230001", "114230002"]
    kim = source.utterances[0]
    assert kim.question == "What is one thing we should change?"
    assert kim.metadata["csat"] == 4.0 and kim.rating == 4.0
    assert kim.metadata["Which meals do you order? - Vegetarian"] == "Vegetarian"  # option columns get their label
    assert "kim@example.com" not in repr(kim.metadata)
    assert any("row 5" in reason for reason in source.skipped)


def test_google_forms_and_typeform():
    forms = read_path(FORMATS / "google_forms.csv")
    assert forms.metadata["detected"].startswith("Google Forms survey export")
    assert [u.metadata["nps"] for u in forms.utterances] == [9.0, 2.0, 7.0]
    assert forms.utterances[0].date == "2026/03/01 10:15:22 AM GMT"
    assert "noor@example.com" not in repr([u.metadata for u in forms.utterances])
    typeform = read_path(FORMATS / "typeform_export.csv")
    assert typeform.metadata["detected"] == "Typeform survey export (1 header row, respondent id from '#')"
    assert [u.speaker for u in typeform.utterances] == ["a1b2c3d4e5", "f6g7h8i9j0"]
    assert typeform.utterances[0].question == "What nearly stopped you from signing up?"
    assert typeform.utterances[0].date == "2026-03-05 10:02:44"


@pytest.mark.parametrize("name,problem", [
    ("no_known_header.csv", "looks like data, not column names"),
    ("surveymonkey_missing_labels.csv", "second header row"),
])
@pytest.mark.parametrize("kind", [None, "survey"])
def test_survey_header_rows_matching_no_known_shape(name, problem, kind):
    with pytest.raises(InputFileError, match=problem) as info:
        read_path(FORMATS / name, ReadOptions(kind=kind))
    assert str(info.value).startswith(str(FORMATS / name))


def test_text_column_option_accepts_the_platform_column_id():
    source = read_path(FORMATS / "qualtrics_export.csv", ReadOptions(text_columns=["Q4_TEXT"]))
    assert {u.question for u in source.utterances} == {"What do you like most about FreshCrate?"}


# --- reviews and JSON ----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_play_store_reviews_keep_title_body_version(tmp_path, encoding):
    path = tmp_path / "reviews.csv"
    text = (FORMATS / "play_store_reviews.csv").read_text(encoding="utf-8")
    path.write_bytes(text.encode(encoding))  # Google Play exports are UTF-16 with a BOM
    source = read_path(path)
    assert source.kind == "reviews"
    first_two = source.utterances[:2]
    assert [u.text for u in first_two] == ["Logs me out constantly", "Since the last update the app logs me out "
                                           "every time I open it, so I just use the website."]
    assert all(u.row_id == "2" and u.rating == 1.0 and u.date == "2026-03-10T08:12:00Z" for u in first_two)
    assert first_two[0].metadata["version"] == "4.2.0"


def test_json_that_is_not_a_list_of_objects_stores_nothing(fresh_db, blank_tagger):
    from voicemap.importer import import_file

    path = FORMATS / "not_records.json"
    with pytest.raises(InputFileError, match="list of objects"):
        read_path(path)
    result = import_file(fresh_db, path, ReadOptions(), blank_tagger, None)
    assert result.status == "failed" and result.error.startswith(str(path))
    assert fresh_db.execute("select count(*) from sources").fetchone()[0] == 0


def test_bad_files_store_nothing(fresh_db, blank_tagger):
    from voicemap.importer import import_paths

    bad = [FORMATS / n for n in ("broken_cue.vtt", "broken_cue.srt", "not_really.docx", "no_known_header.csv")]
    report = import_paths(fresh_db, bad, tagger=blank_tagger)
    assert len(report.failed) == 4
    assert all(f.error.startswith(f.path) for f in report.failed)
    assert fresh_db.execute("select count(*) from utterances").fetchone()[0] == 0


# --- transcripts in a table ----------------------------------------------------------------------

def test_transcripts_in_a_table_make_each_row_a_participant():
    source = read_path(FORMATS / "chat_transcripts.csv")
    assert source.kind == "transcript"
    assert source.metadata["detected"] == "transcripts in a table, one per row in column 'text'"
    assert source.metadata["interviewer_speakers"] == ["AI", "Assistant"]
    people = customer_turns(source)
    assert {u.speaker for u in people} == {"chat_001", "chat_002"}  # "User" in each row is a different person
    assert all(u.metadata["role"] == "User" for u in people)
    # "Main issue: ..." inside an answer is part of the answer, not a new speaker
    assert people[2].text.endswith("Main issue: I work late on Mondays, so the box sat outside for hours.")
    assert people[2].location == "row 2, line 11" and people[2].metadata["segment"] == "family"


def test_kind_overrides_detection():
    as_survey = read_path(FORMATS / "chat_transcripts.csv", ReadOptions(kind="survey", text_columns=["text"]))
    assert as_survey.kind == "survey" and len(as_survey.utterances) == 2
    with pytest.raises(InputFileError, match="only be read as a transcript"):
        read_path(FORMATS / "zoom_interview.vtt", ReadOptions(kind="reviews"))


@pytest.mark.skipif(not INTERVIEWS.is_dir(), reason="../shared/eval/data/anthropic_interviewer not present")
@pytest.mark.parametrize("name,participant_turns", [("creatives_transcripts.csv", 1259),
                                                    ("scientists_transcripts.csv", 1160)])
def test_public_interview_transcripts_keep_only_participant_turns_as_customers(name, participant_turns):
    source = read_path(INTERVIEWS / name)
    people = customer_turns(source)
    assert source.metadata["transcripts"] == 125
    assert len(people) == participant_turns  # SOURCE.md's count of `User:` turns
    assert {u.metadata["role"] for u in people} == {"User"}
    assert {u.metadata["role"] for u in source.utterances if not u.is_customer} == {"AI", "Assistant"}
    assert len({u.speaker for u in people}) == 125


def test_cli_says_what_it_detected(tmp_path):
    db = tmp_path / "study.db"
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(FORMATS / "qualtrics_export.csv"),
                                       str(FORMATS / "teams_interview.vtt"), "--interviewer", "Sam Okafor"])
    assert result.exit_code == 0, result.output
    assert "detected: Qualtrics survey export (3 header rows, respondent id from 'ResponseId')" in result.output
    assert "detected: WebVTT captions" in result.output
    assert "treated 'Sam Okafor' as the interviewer" not in result.output  # named, so not guessed


def test_utf8_bom_does_not_hide_a_webvtt_header(tmp_path):
    path = tmp_path / "meet.vtt"
    path.write_bytes(codecs.BOM_UTF8 + b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nAna: The box was late again.\n")
    assert read_path(path).utterances[0].speaker == "Ana"
