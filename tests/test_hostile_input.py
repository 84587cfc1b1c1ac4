"""Hostile and broken files: every reader ends in one clear error or a clean Source.

Never another exception, never a hang, never memory out of proportion to the file.
Property tests (hypothesis) throw random bytes, hostile text in mixed encodings and
generated tables at every reader the dispatcher knows (new readers join by adding a
suffix); the named monsters (10 MB line, deep JSON, 10,000 columns, zip bombs, NUL
bytes) are explicit cases with a memory bound. A few go all the way through the
importer, since a reader's output must also be something the tagger can take.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import signal
import tracemalloc
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from voicemap.domain import Source
from voicemap.ingest import KINDS, SUPPORTED_SUFFIXES, InputFileError, ReadOptions, read_path
from voicemap.settings import limits

SUFFIXES = sorted(SUPPORTED_SUFFIXES | {".docx"})  # .docx: a reader may not exist yet; then it must refuse cleanly
PER_FILE_SECONDS = 20  # a generous wall clock on a shared 2-core machine; a hang blows far past it
CONTROL_CHARS = {chr(c) for c in range(32) if chr(c) not in "\t\n"} | {"\x7f"}
HYPOTHESIS = settings(max_examples=100, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """Turn a hang into a test failure (SIGALRM: the main thread, as pytest runs tests)."""
    def on_alarm(signum, frame):
        raise Hang(f"still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def assert_clean(source: Source) -> None:
    """What 'a clean import' means for the rest of voicemap."""
    assert isinstance(source, Source)
    assert source.utterances, "a Source with nothing in it should have been an InputFileError"
    for utterance in source.utterances:
        assert isinstance(utterance.text, str) and utterance.text.strip()
        assert len(utterance.text) <= limits().max_field_chars
        assert not CONTROL_CHARS & set(utterance.text), repr(utterance.text[:80])
        assert isinstance(utterance.location, str)


def outcome(path: Path, kind: str | None = None) -> Source | InputFileError:
    """Read a file; the only acceptable results are a clean Source or an InputFileError naming it."""
    try:
        with time_limit(PER_FILE_SECONDS):
            source = read_path(path, ReadOptions(kind=kind))
    except InputFileError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message
        assert "\n" not in message and len(message) < 2_000, message[:300]
        assert not CONTROL_CHARS & set(message)
        return exc
    assert_clean(source)
    return source


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def peak_memory(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- property tests -------------------------------------------------------------------------------

HOSTILE_CHARS = st.sampled_from(list(",;\t|\"'{}[]:\n\r\x00\x1b\ufeff\u2028\\#=@+-<>") + ["é", "ß", "中", "😀", "\x85", "\u202e"])
HOSTILE_TEXT = st.lists(st.one_of(HOSTILE_CHARS, st.text(max_size=8)), max_size=80).map("".join)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1"]


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@st.composite
def mixed_encoding_bytes(draw) -> bytes:
    """Chunks of text each in its own encoding: what concatenated exports look like."""
    chunks = draw(st.lists(st.tuples(HOSTILE_TEXT, st.sampled_from(ENCODINGS)), min_size=1, max_size=5))
    return b"".join(encode(text, encoding) for text, encoding in chunks)


@HYPOTHESIS
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES), kind=st.sampled_from([None, *KINDS]))
def test_random_bytes_never_crash_a_reader(tmp_path_factory, data, suffix, kind):
    outcome(write(tmp_path_factory.mktemp("bytes"), f"input{suffix}", data), kind)


@HYPOTHESIS
@given(data=mixed_encoding_bytes(), suffix=st.sampled_from(SUFFIXES), kind=st.sampled_from([None, *KINDS]))
def test_hostile_text_in_mixed_encodings(tmp_path_factory, data, suffix, kind):
    outcome(write(tmp_path_factory.mktemp("mixed"), f"input{suffix}", data), kind)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(["body", "text", "rating", "title", "id", "date", "author", "answer", "nps"]) | st.text(max_size=12)


@HYPOTHESIS
@given(records=st.lists(st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=6), max_size=8),
       wrap=st.sampled_from(["list", "object", "lines"]), suffix=st.sampled_from([".json", ".jsonl", ".csv"]))
def test_generated_json_records(tmp_path_factory, records, wrap, suffix):
    if wrap == "lines":
        data = "\n".join(json.dumps(r) for r in records)
    else:
        data = json.dumps(records if wrap == "list" else {"reviews": records})
    outcome(write(tmp_path_factory.mktemp("json"), f"input{suffix}", data))


@HYPOTHESIS
@given(header=st.lists(FIELD_NAMES, min_size=1, max_size=6),
       rows=st.lists(st.lists(HOSTILE_TEXT, max_size=8), max_size=10),
       delimiter=st.sampled_from([",", "\t", ";", "|"]), suffix=st.sampled_from([".csv", ".tsv"]),
       kind=st.sampled_from([None, "survey", "reviews"]), encoding=st.sampled_from(ENCODINGS))
def test_generated_tables(tmp_path_factory, header, rows, delimiter, suffix, kind, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    outcome(write(tmp_path_factory.mktemp("csv"), f"input{suffix}", encode(buffer.getvalue(), encoding)), kind)


TURN = st.tuples(
    st.sampled_from(["", "[00:01:02] ", "12:03 ", "99:99:99 ", "[1:2:3:4] "]),
    st.sampled_from(["Maria", "Interviewer", "Q", "A", "Dr. O'Neil-Smith", "x" * 300, "Title", ""]) | HOSTILE_TEXT,
    st.sampled_from([": ", ":", " : ", " (00:12:03): ", ""]),
    HOSTILE_TEXT,
).map("".join)


@HYPOTHESIS
@given(lines=st.lists(TURN, max_size=20), encoding=st.sampled_from(ENCODINGS))
def test_generated_transcripts(tmp_path_factory, lines, encoding):
    outcome(write(tmp_path_factory.mktemp("txt"), "interview.txt", encode("\n".join(lines), encoding)))


# --- the named monsters ---------------------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024


def _ten_mb_line(suffix: str) -> str:
    filler = "a" * TEN_MB
    return {
        ".txt": "Maria: " + filler,
        ".md": filler,
        ".csv": "id,answer\n1," + filler + "\n",
        ".tsv": "id\tanswer\n1\t" + filler + "\n",
        ".json": json.dumps([{"body": filler, "rating": 1}]),
        ".jsonl": json.dumps({"body": filler, "rating": 1}) + "\n" + json.dumps({"body": "fine", "rating": 2}),
    }.get(suffix, filler)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_ten_megabyte_single_line(tmp_path, suffix):
    path = write(tmp_path, f"huge{suffix}", _ten_mb_line(suffix))
    result, peak = peak_memory(lambda: outcome(path))
    assert peak < 20 * TEN_MB, f"{peak / 1e6:.0f} MB to read a 10 MB file"
    if isinstance(result, Source):  # a clean import may only keep what fits the field limit, and says what it dropped
        assert result.skipped


def test_field_over_the_limit_is_reported_not_silently_cut(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEMAP_MAX_FIELD_CHARS", "1000")
    path = write(tmp_path, "s.csv", "id,answer\n1," + "long words " * 200 + "\n2,The box arrived late again\n")
    source = outcome(path, "survey")
    assert isinstance(source, Source) and [u.row_id for u in source.utterances] == ["2"]
    assert any("row 2" in reason and "VOICEMAP_MAX_FIELD_CHARS" in reason for reason in source.skipped)


@pytest.mark.parametrize("depth", [200, 100_000])
@pytest.mark.parametrize("layout", ["whole.json", "record.json", "line.jsonl"])
def test_deeply_nested_json(tmp_path, depth, layout):
    nested = "[" * depth + "]" * depth
    text = {"whole.json": nested,
            "record.json": '[{"body": "late again", "rating": 2, "extra": ' + nested + "}]",
            "line.jsonl": '{"body": "late again", "rating": 2}\n{"body": "x", "rating": 1, "extra": ' + nested + "}"}
    result = outcome(write(tmp_path, f"deep-{layout}", text[layout]))
    if isinstance(result, Source):
        assert all(len(u.metadata.get("extra", "")) < 10_000 for u in result.utterances)
        assert result.skipped, "a record dropped for being too deep must be reported"
    elif layout != "whole.json":  # a nested list is simply not a list of records; elsewhere, depth is the reason
        assert "nested" in result.problem or "VOICEMAP_MAX_JSON_DEPTH" in result.problem, result.problem


def test_json_with_a_huge_integer(tmp_path):
    outcome(write(tmp_path, "big.json", '[{"body": "late", "rating": ' + "9" * 50_000 + "}]"))


@pytest.mark.parametrize("where", ["csv", "txt"])
def test_nul_bytes_after_the_binary_sniff(tmp_path, where):
    head = "id,answer\n" + "".join(f"{i},The delivery was late again, week {i}\n" for i in range(300))
    if where == "txt":
        head = "".join(f"Maria: The delivery was late again, week {i}\n" for i in range(300))
    outcome(write(tmp_path, f"nul.{where}", head.encode() + b"\x00\x00 hidden \x00 text\n"))


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".json"])
def test_ten_thousand_columns(tmp_path, suffix):
    columns = [f"q{i}" for i in range(10_000)]
    if suffix == ".json":
        data = json.dumps([{**{c: "x" for c in columns}, "body": "late", "rating": 1}])
    else:
        sep = "\t" if suffix == ".tsv" else ","
        data = sep.join(columns) + "\n" + sep.join("an answer with some words" for _ in columns) + "\n"
    path = write(tmp_path, f"wide{suffix}", data)
    result, peak = peak_memory(lambda: outcome(path))
    assert isinstance(result, InputFileError) and "VOICEMAP_MAX_COLUMNS" in result.problem
    assert peak < 100_000_000


def test_too_many_rows_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEMAP_MAX_ROWS", "50")
    path = write(tmp_path, "many.csv", "id,answer\n" + "".join(f"{i},late delivery again {i}\n" for i in range(60)))
    result = outcome(path, "survey")
    assert isinstance(result, InputFileError) and "VOICEMAP_MAX_ROWS" in result.problem


def _zip(path: Path, members: dict[str, bytes | int]) -> Path:
    """A zip whose int members are that many zero bytes, streamed so the test itself stays small."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members.items():
            if isinstance(content, bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w") as member:
                block = b"\x00" * (1 << 20)
                for _ in range(content // len(block)):
                    member.write(block)
    return path


def _claim_size(path: Path, name: str, claimed: int) -> None:
    """Make the zip headers lie about how big a member unpacks to (local and central header)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    data[local + 22:local + 26] = claimed.to_bytes(4, "little")
    central = data.rindex(b"PK\x01\x02")
    while not data[central + 46:central + 46 + len(name)] == name.encode():
        central = data.rindex(b"PK\x01\x02", 0, central)
    data[central + 24:central + 28] = claimed.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def _real_docx_with(path: Path, document_xml: bytes, packed: bool = True) -> Path:
    """A genuine python-docx package whose document.xml is replaced by hostile XML."""
    docx = pytest.importorskip("docx")
    template = path.with_suffix(".template.docx")
    docx.Document().save(str(template))
    method = zipfile.ZIP_DEFLATED if packed else zipfile.ZIP_STORED
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", method) as target:
        for item in source.infolist():
            content = document_xml if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item.filename, content)
    template.unlink()
    return path


CONTENT_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="xml" ContentType="application/xml"/></Types>')
WORD_NS = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lololololololololol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
          + b']><w:document ' + WORD_NS + b'><w:body><w:p><w:r><w:t>Maria: &lol9;</w:t></w:r></w:p></w:body></w:document>')
DEEP_XML = (b'<?xml version="1.0"?><w:document ' + WORD_NS + b'><w:body>' + b"<w:p>" * 100_000
            + b"Maria: deep" + b"</w:p>" * 100_000 + b"</w:body></w:document>")


@pytest.mark.parametrize("shape", ["ratio", "claims-huge", "claims-tiny",
                                   "many-members", "billion-laughs", "deep-xml", "not-a-zip", "truncated"])
def test_zip_bombs_disguised_as_docx(tmp_path, shape):
    path = tmp_path / "interview.docx"
    document = "word/document.xml"
    if shape == "ratio":  # 50 MB of zeros packed into ~50 kB
        _zip(path, {"[Content_Types].xml": CONTENT_TYPES, document: 50 << 20})
    elif shape == "claims-huge":  # headers say 3 GB: refused before anything is unpacked
        _zip(path, {"[Content_Types].xml": CONTENT_TYPES, document: b"<w:document/>"})
        _claim_size(path, document, 3_000_000_000)
    elif shape == "claims-tiny":  # headers say 1 kB while the stream holds 50 MB: never unpacked past the claim
        _real_docx_with(path, b'<w:document ' + WORD_NS + b'><w:body>' + b" " * (50 << 20) + b"</w:body></w:document>")
        _claim_size(path, document, 1_000)
    elif shape == "many-members":
        _zip(path, {"[Content_Types].xml": CONTENT_TYPES, document: b"<w:document/>",
                    **{f"word/media/image{i}.png": b"" for i in range(6_000)}})
    elif shape == "billion-laughs":
        _real_docx_with(path, LAUGHS)
    elif shape == "deep-xml":  # stored, not packed, so only the XML parser stands in the way
        _real_docx_with(path, DEEP_XML, packed=False)
    elif shape == "not-a-zip":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    else:
        _zip(path, {"[Content_Types].xml": CONTENT_TYPES, document: 8 << 20})
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    result, peak = peak_memory(lambda: outcome(path))
    if isinstance(result, Source):  # entities left unexpanded or depth refused: never the billion laughs
        assert sum(len(u.text) for u in result.utterances) < 10_000
    assert peak < 100_000_000, f"{peak / 1e6:.0f} MB to refuse a {path.stat().st_size / 1e3:.0f} kB file"


# --- all the way through the importer -------------------------------------------------------------

def test_monsters_import_cleanly_or_fail_cleanly(tmp_path, tagger):
    """The importer gets readers' output straight into spaCy: nothing over its length limit may pass."""
    from voicemap.importer import import_file
    from voicemap.store import open_db

    db = open_db(None)
    files = [write(tmp_path, f"huge{s}", _ten_mb_line(s)) for s in (".txt", ".csv", ".jsonl")]
    files.append(write(tmp_path, "long-turn.txt", "Maria: " + "The box was late again. " * 800 + "\n"))
    files.append(write(tmp_path, "wide.json", json.dumps([{"body": "late " * 500, "rating": 1, "meta": [[[[1]]]]}])))
    for path in files:
        with time_limit(60):
            result = import_file(db, path, ReadOptions(), tagger, None)
        assert result.status in ("imported", "failed"), result
        if result.status == "failed":
            assert result.error.startswith(str(path))
    problems = db.execute("PRAGMA integrity_check").fetchone()[0]
    assert problems == "ok"


def test_utf16_without_bom_and_stray_bom_in_the_middle(tmp_path):
    """Two real-world encoding mishaps: no BOM at all, and a second BOM from concatenated exports."""
    no_bom = write(tmp_path, "a.txt", "Maria: the delivery was late\n".encode("utf-16-le"))
    assert isinstance(outcome(no_bom), (Source, InputFileError))
    doubled = write(tmp_path, "b.csv", codecs.BOM_UTF8 + b"id,answer\n1,the box came late again\n"
                                       + codecs.BOM_UTF8 + b"2,the food was cold on arrival\n")
    source = outcome(doubled, "survey")
    assert isinstance(source, Source) and [u.row_id for u in source.utterances] == ["1", "2"]
