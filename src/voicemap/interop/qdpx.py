"""REFI-QDA project export (.qdpx): the coded study for NVivo, ATLAS.ti, MAXQDA and QualCoder.

A .qdpx is a zip holding `project.qde` (XML valid against the REFI-QDA Project
schema, urn:QDA-XML:project:1.0) and the source documents under `sources/`. Each
source becomes a plain-text document (documents.py); each coded statement becomes a
PlainTextSelection at its exact character span with one Coding per code, automatic
and human alike, each attributed to its coder as a User. Participants become Cases.
The XML is written with no byte-order mark and sources go in a lowercase `sources/`
folder (some tools cannot find `Sources/`); `read_qdpx` accepts either case.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from voicemap import __version__
from voicemap.codebook import Codebook
from voicemap.interop.codes import QdaCode, code_index, code_tree, guid
from voicemap.interop.documents import build_document
from voicemap.store.db import utc_now

NS = "urn:QDA-XML:project:1.0"
PROJECT_FILE = "project.qde"
SOURCES_DIR = "sources"
AUTOMATIC_CODER = "voicemap (automatic coding)"
EXPORTED_DIMENSIONS = ("stage", "touchpoint", "emotion", "pain", "pain_category", "sentiment")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str | None) -> str:
    """XML 1.0 cannot hold some control characters at all; drop them from names and descriptions."""
    return _XML_ILLEGAL.sub("", text or "")


def element(parent: ET.Element | None, tag: str, ns: str = NS, text: str | None = None, **attributes) -> ET.Element:
    attrs = {k: xml_safe(str(v)) for k, v in attributes.items() if v is not None}
    node = ET.Element(f"{{{ns}}}{tag}", attrs) if parent is None else ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        node.text = xml_safe(text)
    return node


def serialise(root: ET.Element, ns: str) -> bytes:
    """UTF-8 XML with a declaration and no byte-order mark, the namespace as the default one."""
    ET.register_namespace("", ns)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def add_codes(parent: ET.Element, codes: list[QdaCode], ns: str = NS) -> None:
    for code in codes:
        node = element(parent, "Code", ns, guid=code.guid, name=code.name, isCodable=str(code.codable).lower(),
                       color=code.color)
        if code.description:
            element(node, "Description", ns, text=code.description)
        add_codes(node, code.children, ns)


def _data_values(db: Database) -> dict[str, set[str]]:
    """Values present in the tags but missing from the codebook (e.g. a human code added later)."""
    values: dict[str, set[str]] = {}
    for row in db.query("select distinct dimension, value from tags where value is not null and superseded_by is null"):
        values.setdefault(row["dimension"], set()).add(row["value"])
    return values


def _codings(db: Database, source_id: int) -> dict[int, list[dict]]:
    rows = db.query(
        "select t.statement_id, t.dimension, t.value, t.origin, t.coder, t.created_at from tags t "
        "join statements s on s.id = t.statement_id where s.source_id = ? and t.superseded_by is null "
        f"and t.value is not null and t.dimension in ({','.join('?' * len(EXPORTED_DIMENSIONS))}) order by t.id",
        [source_id, *EXPORTED_DIMENSIONS])
    by_statement: dict[int, list[dict]] = {}
    for row in rows:
        by_statement.setdefault(row["statement_id"], []).append(row)
    return by_statement


@dataclass
class QdpxSummary:
    sources: int = 0
    selections: int = 0
    codings: int = 0
    codes: int = 0
    users: int = 0
    unplaced: int = 0


def build_qdpx(db: Database, codebook: Codebook, pseudonymise: bool = False,
               project_name: str = "voicemap project") -> tuple[bytes, QdpxSummary]:
    """The whole .qdpx as bytes, and what it holds."""
    now = utc_now()
    summary = QdpxSummary()
    tree = code_tree(codebook, _data_values(db))
    index = code_index(tree)
    summary.codes = len(index)
    users: dict[str, str] = {AUTOMATIC_CODER: guid("user", AUTOMATIC_CODER)}

    def user(row: dict) -> str:
        name = AUTOMATIC_CODER if row["origin"] != "human" else (row["coder"] or "researcher")
        return users.setdefault(name, guid("user", name))

    root = element(None, "Project", name=project_name, origin=f"voicemap {__version__}",
                   creatingUserGUID=users[AUTOMATIC_CODER], creationDateTime=now)
    users_node = element(root, "Users")
    add_codes(element(element(root, "CodeBook"), "Codes"), tree)
    cases_node = element(root, "Cases")
    sources_node = element(root, "Sources")
    files: dict[str, str] = {}
    cases: dict[int, dict] = {}
    for source in db.query("select id, name, sha256, imported_at from sources order by id"):
        document = build_document(db, source, pseudonymise)
        source_guid = guid("source", source["sha256"] or source["id"])
        files[f"{source_guid}.txt"] = document.text
        node = element(sources_node, "TextSource", guid=source_guid, name=document.name,
                       plainTextPath=f"internal://{source_guid}.txt", creationDateTime=source["imported_at"])
        codings = _codings(db, source["id"])
        participants = dict(db.execute("select id, participant_id from statements where source_id = ?",
                                       [source["id"]]).fetchall())
        summary.sources += 1
        summary.unplaced += len(document.unplaced)
        for segment in document.segments:
            rows = codings.get(segment.statement_id, [])
            coded = [(row, index[(row["dimension"], row["value"])]) for row in rows
                     if (row["dimension"], row["value"]) in index]
            if not coded:
                continue
            selection_guid = guid("selection", source_guid, segment.statement_id, segment.start, segment.end)
            selection = element(node, "PlainTextSelection", guid=selection_guid,
                                name=f"statement {segment.statement_id}", startPosition=segment.start,
                                endPosition=segment.end,
                                creatingUser=user(coded[0][0]), creationDateTime=coded[0][0]["created_at"])
            seen = set()
            for row, code in coded:
                key = (code.guid, user(row))
                if key in seen:
                    continue
                seen.add(key)
                coding = element(selection, "Coding", guid=guid("coding", selection_guid, *key),
                                 creatingUser=key[1], creationDateTime=row["created_at"])
                element(coding, "CodeRef", targetGUID=code.guid)
                summary.codings += 1
            summary.selections += 1
            participant = participants.get(segment.statement_id)
            if participant is not None:
                case = cases.setdefault(participant, {"sources": [], "selections": []})
                if source_guid not in case["sources"]:
                    case["sources"].append(source_guid)
                case["selections"].append(selection_guid)
    for name, user_guid in users.items():
        element(users_node, "User", guid=user_guid, name=name)
    summary.users = len(users)
    labels = {r["id"]: r for r in db.query("select id, label, pseudonym from participants")}
    for participant_id, case in cases.items():
        who = labels.get(participant_id, {})
        name = who.get("pseudonym") if pseudonymise else who.get("label")
        case_node = element(cases_node, "Case", guid=guid("case", participant_id, who.get("pseudonym")),
                            name=name or f"participant {participant_id}")
        for source_guid in case["sources"]:
            element(case_node, "SourceRef", targetGUID=source_guid)
        for selection_guid in case["selections"]:
            element(case_node, "SelectionRef", targetGUID=selection_guid)
    if not cases:
        root.remove(cases_node)
    if not files:
        root.remove(sources_node)
    element(root, "Description", text=f"Exported by voicemap {__version__} on {now}: statements coded by journey "
                                      "stage, touchpoint, emotion, pain point and sentiment.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PROJECT_FILE, serialise(root, NS))
        for name, text in files.items():
            archive.writestr(f"{SOURCES_DIR}/{name}", text.encode("utf-8"))
    return buffer.getvalue(), summary


@dataclass
class QdpxContents:
    project_xml: bytes
    sources: dict[str, str]  # file name (no folder) -> text


def read_qdpx(data: bytes | str | Path) -> QdpxContents:
    """The project XML and source texts of a .qdpx, whether its folder is `sources/` or `Sources/`."""
    handle = io.BytesIO(data) if isinstance(data, bytes) else data
    with zipfile.ZipFile(handle) as archive:
        names = archive.namelist()
        project = next((n for n in names if n.lower() == PROJECT_FILE), None)
        if project is None:
            raise ValueError("not a REFI-QDA project: no project.qde in the archive")
        sources = {}
        for name in names:
            folder, _, file_name = name.partition("/")
            if folder.lower() == SOURCES_DIR and file_name and not name.endswith("/"):
                sources[file_name] = archive.read(name).decode("utf-8-sig")
        return QdpxContents(archive.read(project), sources)
