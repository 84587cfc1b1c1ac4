"""REFI-QDA project and codebook exchange, and the code matrix spreadsheet.

The XML is validated against the official REFI-QDA schemas, read from ../shared/refi-qda
at test time (never copied into the project); every coded segment's character span
must give back exactly the stored statement text.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile

import pytest
from click.testing import CliRunner

from conftest import ROOT, SHARED
from voicemap.cli import main
from voicemap.codebook import load_codebook
from voicemap.interop.qdc import codebook_from_qdc, codebook_to_qdc
from voicemap.interop.qdpx import build_qdpx, read_qdpx
from voicemap.store import open_db

FORMATS = ROOT / "tests" / "data" / "formats"
XSD = SHARED / "refi-qda"
Q = {"q": "urn:QDA-XML:project:1.0"}


def schema(name: str):
    path = XSD / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(path)))


def assert_valid(xml: bytes, xsd_name: str) -> None:
    from lxml import etree

    validator = schema(xsd_name)
    document = etree.fromstring(xml)
    assert validator.validate(document), validator.error_log


@pytest.fixture(scope="module")
def project(tmp_path_factory, tagger):
    """A small study: a Zoom interview, a Qualtrics export, store reviews, chat transcripts, one human code."""
    from voicemap.importer import import_paths
    from voicemap.store.coding import set_human_code

    db = open_db(tmp_path_factory.mktemp("refi") / "study.db")
    files = [FORMATS / n for n in ("zoom_interview.vtt", "qualtrics_export.csv", "play_store_reviews.csv",
                                   "chat_transcripts.csv")]
    report = import_paths(db, files, tagger=tagger)
    assert not report.failed, [f.error for f in report.failed]
    statement = db.execute("select id from statements where text like '%logging me out%'").fetchone()[0]
    set_human_code(db, statement, "stage", "onboarding", coder="alice")
    set_human_code(db, statement, "touchpoint", ["mobile_app", "website"], coder="alice")
    return db


@pytest.fixture(scope="module")
def qdpx(project, codebook):
    data, summary = build_qdpx(project, codebook)
    return data, summary


def test_project_xml_is_valid_refi_qda_without_bom(qdpx):
    data, summary = qdpx
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("project.qde")
        names = archive.namelist()
    assert xml.startswith(b"<?xml")  # no byte-order mark before the declaration
    assert_valid(xml, "Project-mrt2019.xsd")
    assert all(n == "project.qde" or n.startswith("sources/") for n in names)  # lowercase sources/
    assert summary.sources == 4 and summary.unplaced == 0


def test_every_coded_segment_points_at_exactly_the_stored_text(project, qdpx):
    contents = read_qdpx(qdpx[0])
    root = ET.fromstring(contents.project_xml)
    stored = dict(project.execute("select id, text from statements").fetchall())
    checked = 0
    for text_source in root.iterfind(".//q:TextSource", Q):
        document = contents.sources[text_source.get("plainTextPath").removeprefix("internal://")]
        for selection in text_source.iterfind("q:PlainTextSelection", Q):
            statement_id = int(selection.get("name").split()[-1])
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert document[start:end] == stored[statement_id]
            checked += 1
    assert checked == len(stored)  # every statement has at least its sentiment code, so all are exported
    # the answer holding a line break is placed exactly too
    assert any("\n" in text for text in stored.values())


def test_human_and_automatic_codes_are_attributed_to_their_coders(project, qdpx, codebook):
    root = ET.fromstring(read_qdpx(qdpx[0]).project_xml)
    users = {u.get("name"): u.get("guid") for u in root.iterfind(".//q:User", Q)}
    assert set(users) == {"alice", "voicemap (automatic coding)"}
    codes = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", Q)}
    statement = project.execute("select id from statements where text like '%logging me out%'").fetchone()[0]
    selection = next(s for s in root.iterfind(".//q:PlainTextSelection", Q)
                     if s.get("name") == f"statement {statement}")
    by_alice = {codes[c.find("q:CodeRef", Q).get("targetGUID")] for c in selection.iterfind("q:Coding", Q)
                if c.get("creatingUser") == users["alice"]}
    assert by_alice == {codebook.label("stage", "onboarding"), codebook.label("touchpoint", "mobile_app"),
                        codebook.label("touchpoint", "website")}
    automatic = [c for c in selection.iterfind("q:Coding", Q)
                 if c.get("creatingUser") == users["voicemap (automatic coding)"]]
    assert automatic  # the automatic codes are exported beside the researcher's


def test_sources_folder_is_read_back_in_either_case(qdpx):
    original = zipfile.ZipFile(io.BytesIO(qdpx[0]))
    renamed = io.BytesIO()
    with zipfile.ZipFile(renamed, "w") as archive:
        for name in original.namelist():
            archive.writestr(name.replace("sources/", "Sources/"), original.read(name))
    again = read_qdpx(renamed.getvalue())
    assert again.sources == read_qdpx(qdpx[0]).sources and len(again.sources) == 4


def test_pseudonymised_project_names_no_participant(project, codebook):
    data, _ = build_qdpx(project, codebook, pseudonymise=True)
    contents = read_qdpx(data)
    assert_valid(contents.project_xml, "Project-mrt2019.xsd")
    exported = contents.project_xml.decode("utf-8") + "".join(contents.sources.values())
    labels = [r[0] for r in project.execute("select label from participants")]
    assert labels and not [label for label in labels if label in exported]
    assert "zoom_interview" not in exported  # file names often carry a participant's name
    cases = [c.get("name") for c in ET.fromstring(contents.project_xml).iterfind(".//q:Case", Q)]
    assert cases and all(name.startswith("P") and name[1:].isdigit() for name in cases)


def test_codebook_qdc_is_valid_and_comes_back_unchanged(codebook, tmp_path):
    xml = codebook_to_qdc(codebook)
    assert xml.startswith(b"<?xml")
    assert_valid(xml, "Codebook-mrt2019.xsd")
    qdc = tmp_path / "journey.qdc"
    qdc.write_bytes(xml)
    out = tmp_path / "journey.toml"
    result = CliRunner().invoke(main, ["codebook", "import", str(qdc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "--codebook" in result.output  # says how to use it
    back = load_codebook(out)
    for dimension in ("stage", "touchpoint", "emotion", "pain_category"):
        assert back.codes(dimension) == codebook.codes(dimension)
    assert back.pain == codebook.pain


FOREIGN_QDC = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder 3.5">
  <Codes>
    <Code guid="11111111-1111-1111-1111-111111111111" name="Patient journey phases" isCodable="false">
      <Code guid="11111111-1111-1111-1111-111111111112" name="Referral" isCodable="true">
        <Description>GP or specialist refers the patient.</Description>
      </Code>
      <Code guid="11111111-1111-1111-1111-111111111113" name="Appointment booking" isCodable="true"/>
    </Code>
    <Code guid="22222222-2222-2222-2222-222222222221" name="Journey phases" isCodable="false">
      <Code guid="22222222-2222-2222-2222-222222222222" name="Referral" isCodable="true"/>
      <Code guid="22222222-2222-2222-2222-222222222223" name="Discharge" isCodable="true">
        <Code guid="22222222-2222-2222-2222-222222222224" name="Follow-up call" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="33333333-3333-3333-3333-333333333331" name="Feelings" isCodable="false">
      <Code guid="33333333-3333-3333-3333-333333333332" name="Worried" isCodable="true"/>
    </Code>
    <Code guid="44444444-4444-4444-4444-444444444441" name="Themes" isCodable="false">
      <Code guid="44444444-4444-4444-4444-444444444442" name="Waiting" isCodable="true"/>
    </Code>
  </Codes>
</CodeBook>
"""


def test_a_codebook_from_another_tool_becomes_a_usable_voicemap_codebook(codebook, tmp_path):
    qdc = tmp_path / "clinic.qdc"
    qdc.write_bytes(FOREIGN_QDC)
    out = tmp_path / "clinic.toml"
    result = CliRunner().invoke(main, ["codebook", "import", str(qdc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    imported = load_codebook(out)
    assert [c.label for c in imported.stages] == ["Referral", "Discharge", "Discharge / Follow-up call"]
    assert imported.ids("stage") == ["referral", "discharge", "discharge_follow_up_call"]
    assert [c.label for c in imported.emotions] == ["Worried"] and imported.emotions[0].cues == ["worried"]
    # not in the file: kept from the current codebook (minus stage hints at stages that no longer exist)
    assert [(c.id, c.cues) for c in imported.touchpoints] == [(c.id, c.cues) for c in codebook.touchpoints]
    assert {c.stage_hint for c in imported.touchpoints} <= {None, *imported.ids("stage")}
    assert "kept from the current codebook: touchpoints, pain categories" in result.output
    assert "Themes" in result.output and "Patient journey phases" in result.output  # reported, not guessed
    again = CliRunner().invoke(main, ["codebook", "import", str(qdc), "-o", str(out)])
    assert again.exit_code != 0 and "already exists" in again.output


def test_codebook_import_refuses_what_is_not_a_codebook(tmp_path, codebook):
    path = tmp_path / "notes.qdc"
    path.write_text("<html><body>not a codebook</body></html>", encoding="utf-8")
    result = CliRunner().invoke(main, ["codebook", "import", str(path), "-o", str(tmp_path / "x.toml")])
    assert result.exit_code != 0 and str(path) in result.output and "REFI-QDA codebook" in result.output
    assert not (tmp_path / "x.toml").exists()
    with pytest.raises(ValueError, match="not valid XML"):
        codebook_from_qdc(b"<CodeBook", codebook, "x")


def test_code_matrix_csv_for_excel(project, tmp_path, monkeypatch):
    monkeypatch.setenv("VOICEMAP_DB", str(project.execute("pragma database_list").fetchone()[2]))
    out = tmp_path / "matrix.csv"
    result = CliRunner().invoke(main, ["export", "matrix", "--format", "csv", "-o", str(out), "--bom"])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == project.execute("select count(*) from statements").fetchone()[0]
    header = list(rows[0])
    assert header[:3] == ["id", "source", "participant"] and "stage:onboarding" in header and "pain" in header
    assert "nps" in header and "segment" in header  # survey metadata as columns
    human = next(r for r in rows if "logging me out" in r["text"])
    assert human["stage:onboarding"] == "1" and human["touchpoint:mobile_app"] == "1"
    assert all(r[c] in ("0", "1") for r in rows for c in header if c.startswith(("stage:", "emotion:", "pain")))
    stage_columns = [c for c in header if c.startswith("stage:")]
    assert all(sum(int(r[c]) for c in stage_columns) <= 1 for r in rows)  # one primary stage at most
    formula = next(r for r in rows if "HYPERLINK" in r["text"])
    assert formula["text"].startswith("'=")  # a spreadsheet will not run it
