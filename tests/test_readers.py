"""Each reader on realistic small files, keeping provenance; bad input gets one clear line."""

from __future__ import annotations

import codecs
import json

import pytest

from voicemap.ingest import InputFileError, ReadOptions, read_path
from voicemap.ingest.transcript import read_transcript

TRANSCRIPT = """Title: Onboarding interview 3
Date: 2026-02-11
Participant: P03
Interviewer: Sam

[00:00:05] Sam: Thanks for joining. How did you first hear about us?
[00:00:12] Aisha: A friend told me about it at work.
I was sceptical at first, to be honest.
[00:01:40] Sam: And the first delivery?
[00:01:52] Aisha: The box arrived two days late and the ice packs had melted.
00:03:10 Moderator: Anything else?
00:03:15 Aisha: No.
"""


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding, newline="")
    return path


def test_transcript_turns_keep_speaker_timestamp_and_line(tmp_path):
    source = read_transcript(write(tmp_path, "p03.txt", TRANSCRIPT))
    assert source.title == "Onboarding interview 3"
    assert source.metadata["participant"] == "P03"
    customer = [u for u in source.utterances if u.is_customer]
    assert [u.speaker for u in customer] == ["Aisha", "Aisha", "Aisha"]
    first = customer[0]
    assert first.text == "A friend told me about it at work. I was sceptical at first, to be honest."
    assert first.timestamp == "00:00:12" and first.location == "00:00:12" and first.line == 7
    # the interviewer named in the header, and Moderator, are context, not customers
    interviewer_turns = [u for u in source.utterances if not u.is_customer]
    assert {u.speaker for u in interviewer_turns} == {"Sam", "Moderator"}
    assert customer[2].timestamp == "00:03:15"


def test_transcript_without_timestamps_cites_line_numbers(tmp_path):
    path = write(tmp_path, "t.txt", "Interviewer: Why did you cancel?\nMaria: The price went up twice.\n")
    source = read_transcript(path)
    assert source.utterances[1].location == "line 2"
    assert source.utterances[0].is_customer is False


def test_transcript_with_no_speaker_lines_is_a_clear_error(tmp_path):
    path = write(tmp_path, "notes.txt", "just some notes\nwithout any speakers\n")
    with pytest.raises(InputFileError, match=r"notes\.txt: no speaker turns found"):
        read_path(path)


def test_configurable_interviewer_names(tmp_path):
    path = write(tmp_path, "t.txt", "Chris: How was setup?\nLee: Setup was painless.\n")
    source = read_path(path, ReadOptions(interviewer_names=("Chris",)))
    assert [u.is_customer for u in source.utterances] == [False, True]


SURVEY = (
    "respondent_id,segment,nps,submitted_at,what_could_we_improve\n"
    "R1,family,3,2026-01-02,\"Delivery was late three weeks running, and nobody told us why.\"\n"
    "R2,single,9,2026-01-03,\"Honestly nothing, the recipes are great and quick to cook.\"\n"
    "R3,family,6,2026-01-04,\n"
    "R4,couple,2,2026-01-05,\"Cancelling took me\nthree emails and a phone call.\"\n"
)


def test_survey_detects_text_column_and_keeps_metadata(tmp_path):
    source = read_path(write(tmp_path, "survey.csv", SURVEY))
    assert source.kind == "survey"
    assert source.metadata["text_columns"] == ["what_could_we_improve"]
    first = source.utterances[0]
    assert first.speaker == "R1" and first.row_id == "R1" and first.rating == 3.0
    assert first.metadata["segment"] == "family" and first.date == "2026-01-02"
    assert "three emails" in source.utterances[2].text  # quoted newline kept in one answer
    assert any("row 4" in reason for reason in source.skipped)  # R3's empty answer, reported


def test_survey_tsv_and_explicit_columns(tmp_path):
    tsv = ("respondent_id\tsegment\twhat_could_we_improve\n"
           "R1\tfamily\tDelivery was late three weeks running, nobody said why\n"
           "R2\tsingle\tThe recipes are great and quick to cook\n")
    path = write(tmp_path, "survey.tsv", tsv)
    source = read_path(path, ReadOptions(kind="survey", text_columns=["what_could_we_improve"], id_column="respondent_id"))
    assert len(source.utterances) == 2
    assert source.utterances[0].question == "what_could_we_improve"


def test_unknown_text_column_lists_the_columns(tmp_path):
    path = write(tmp_path, "survey.csv", SURVEY)
    with pytest.raises(InputFileError) as info:
        read_path(path, ReadOptions(kind="survey", text_columns=["comments"]))
    message = str(info.value)
    assert "survey.csv" in message and "'comments' not found" in message and "what_could_we_improve" in message
    assert "\n" not in message


def test_reviews_jsonl_keep_rating_date_author_title(tmp_path):
    lines = [
        {"review_id": "a1", "author": "kim", "rating": 1, "date": "2026-03-01", "title": "Logs me out",
         "body": "Since the update the app logs me out every time I open it."},
        {"review_id": "a2", "author": "lee", "rating": 5, "date": "2026-03-02", "title": "",
         "body": "Love the recipes."},
    ]
    path = write(tmp_path, "reviews.jsonl", "\n".join(json.dumps(x) for x in lines))
    source = read_path(path)
    assert source.kind == "reviews"
    texts = [u.text for u in source.utterances]
    assert texts == ["Logs me out", "Since the update the app logs me out every time I open it.", "Love the recipes."]
    assert source.utterances[1].rating == 1.0 and source.utterances[1].speaker == "kim"
    assert source.utterances[1].row_id == "a1" and source.utterances[1].date == "2026-03-01"


def test_reviews_csv_detected_by_columns(tmp_path):
    path = write(tmp_path, "store.csv", "id,stars,review_text\n1,2,Parcel never arrived and no refund yet.\n")
    source = read_path(path)
    assert source.kind == "reviews" and source.utterances[0].rating == 2.0


def test_reviews_json_array(tmp_path):
    path = write(tmp_path, "r.json", json.dumps([{"text": "Great", "rating": 5}, {"text": "Bad fit", "rating": 2}]))
    assert [u.text for u in read_path(path).utterances] == ["Great", "Bad fit"]


def test_json_that_is_not_a_list_of_objects(tmp_path):
    path = write(tmp_path, "r.json", json.dumps([1, 2, 3]))
    with pytest.raises(InputFileError, match="list of objects"):
        read_path(path)


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", "cp1252"),
])
def test_encodings_are_detected_and_reported(tmp_path, encoding, expected):
    text = "id,rating,review\n1,4,Café au lait was “perfect” – déjà vu\n"
    path = write(tmp_path, "r.csv", text.encode(encoding))
    source = read_path(path)
    assert source.encoding == expected
    assert source.utterances[0].text == "Café au lait was “perfect” – déjà vu"


@pytest.mark.parametrize("content,problem", [
    (b"", "file is empty"),
    (b"   \n\n", "file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
])
def test_empty_and_binary_files(tmp_path, content, problem):
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(InputFileError, match=problem) as info:
        read_path(path)
    assert str(info.value).startswith(str(path))


def test_ragged_rows_are_skipped_with_reasons(tmp_path):
    path = write(tmp_path, "s.csv", "id,answer\n1,The app crashed on login every morning\n2,too,many,values here\n"
                                    "3,Support never replied to my email at all\n")
    source = read_path(path, ReadOptions(kind="survey", text_columns=["answer"]))
    assert [u.row_id for u in source.utterances] == ["1", "3"]
    assert any(r.startswith("row 3: 2 more values") for r in source.skipped)


def test_header_only_csv(tmp_path):
    with pytest.raises(InputFileError, match="no data rows"):
        read_path(write(tmp_path, "s.csv", "id,answer\n"))


def test_huge_file_is_refused_by_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEMAP_MAX_FILE_MB", "0.001")
    path = write(tmp_path, "big.txt", "Maria: " + "word " * 1000)
    with pytest.raises(InputFileError, match="over the 0 MB limit|limit"):
        read_path(path)


def test_unsupported_extension(tmp_path):
    with pytest.raises(InputFileError, match="unsupported file type"):
        read_path(write(tmp_path, "x.pdf", b"%PDF-1.4"))


def test_utf16_bom_is_not_mistaken_for_binary(tmp_path):
    data = codecs.BOM_UTF16_LE + "Maria: the delivery was late\n".encode("utf-16-le")
    source = read_path(write(tmp_path, "t.txt", data))
    assert source.encoding == "utf-16" and source.utterances[0].text == "the delivery was late"
