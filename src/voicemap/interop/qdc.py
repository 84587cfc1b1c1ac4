"""REFI-QDA codebooks (.qdc): voicemap's codebook out to QDA tools, and a QDA codebook in.

Export writes the same code tree as the project export (codes.py), valid against
the REFI-QDA Codebook schema. Import reads a .qdc (or the codebook inside a .qdpx
or .qde project) from any tool and turns it into a voicemap codebook: top-level
codes named like a journey dimension ("Journey stages", "Touchpoints", "Emotions",
"Pain points") become that dimension's codes; a code that came from voicemap keeps
its id and cue phrases; a dimension the file does not have is kept from the current
codebook, and codes under unrecognised groups are reported, not guessed at.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field, replace

from voicemap.codebook import Code, Codebook
from voicemap.interop.codes import CUES_LINE, DIMENSION_LINE, ID_LINE, code_tree
from voicemap.interop.qdpx import add_codes, element, serialise

NS = "urn:QDA-XML:codebook:1.0"
GROUP_NAMES = {
    "stage": {"journey stage", "journey stages", "stage", "stages", "phase", "phases", "journey phase",
              "journey phases", "customer journey", "journey"},
    "touchpoint": {"touchpoint", "touchpoints", "touch point", "touch points", "channel", "channels"},
    "emotion": {"emotion", "emotions", "feeling", "feelings"},
    "pain_category": {"pain point", "pain points", "pain", "pains", "pain category", "pain categories",
                      "pain point categories", "problem", "problems", "issue", "issues"},
}
ATTRIBUTES = {"stage": "stages", "touchpoint": "touchpoints", "emotion": "emotions", "pain_category": "pain_categories"}
MAX_STARTER_CUE_WORDS = 3


def codebook_to_qdc(codebook: Codebook) -> bytes:
    """The codebook as a REFI-QDA Codebook XML document (no sentiment: it is a score, not a code to apply)."""
    root = element(None, "CodeBook", NS, origin=f"voicemap: {codebook.name} (version {codebook.version})")
    tree = [group for group in code_tree(codebook) if group.dimension != "sentiment"]
    add_codes(element(root, "Codes", NS), tree, NS)
    return serialise(root, NS)


class CodebookImportError(ValueError):
    """A file that holds no usable REFI-QDA codebook; the message says why."""


@dataclass
class ParsedCode:
    name: str
    description: str = ""
    children: list["ParsedCode"] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_code(node: ET.Element) -> ParsedCode:
    description = next((c.text or "" for c in node if _local(c.tag) == "Description"), "")
    children = [_parse_code(c) for c in node if _local(c.tag) == "Code"]
    return ParsedCode(node.get("name", "").strip(), description.strip(), children)


def _xml_from(data: bytes) -> bytes:
    """A .qdc/.qde is XML; a .qdpx is a zip with project.qde inside."""
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                name = next((n for n in archive.namelist() if n.lower().endswith(".qde")), None)
                if name is None:
                    raise CodebookImportError("the zip holds no .qde project file")
                return archive.read(name)
        except zipfile.BadZipFile:
            raise CodebookImportError("looks like a zip (.qdpx) but is damaged") from None
    return data


def parse_codebook_xml(data: bytes) -> list[ParsedCode]:
    """The top-level codes of a REFI-QDA codebook or project, in either namespace."""
    try:
        root = ET.fromstring(_xml_from(data))
    except ET.ParseError as exc:
        raise CodebookImportError(f"is not valid XML ({exc})") from None
    codes = next((node for node in root.iter() if _local(node.tag) == "Codes"), None)
    if _local(root.tag) not in ("CodeBook", "Project") or codes is None:
        raise CodebookImportError("is not a REFI-QDA codebook (expected a CodeBook with Codes)")
    parsed = [_parse_code(node) for node in codes if _local(node.tag) == "Code"]
    if not parsed:
        raise CodebookImportError("the codebook has no codes")
    return parsed


def _dimension_of(group: ParsedCode) -> str | None:
    marked = DIMENSION_LINE.search(group.description)
    if marked:
        dimension = marked.group("dimension")
        return "pain_category" if dimension == "pain" else dimension if dimension in ATTRIBUTES else None
    name = re.sub(r"\s+", " ", group.name.lower()).strip()
    return next((dimension for dimension, names in GROUP_NAMES.items() if name in names), None)


def _flatten(codes: list[ParsedCode], prefix: str = "") -> list[tuple[str, ParsedCode]]:
    result = []
    for code in codes:
        label = f"{prefix}{code.name}"
        result.append((label, code))
        result += _flatten(code.children, f"{label} / ")
    return result


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "code"


def _definition(description: str) -> str:
    lines = [line for line in description.splitlines()
             if not (ID_LINE.match(line) or CUES_LINE.match(line) or DIMENSION_LINE.match(line))]
    return "\n".join(lines).strip()


@dataclass
class ImportSummary:
    counts: dict[str, int] = field(default_factory=dict)
    kept_from_base: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)
    starter_cues: list[str] = field(default_factory=list)  # new codes whose only cue is their own name


def _to_code(dimension: str, label: str, parsed: ParsedCode, base: dict[str, Code], used: set[str],
             summary: ImportSummary) -> Code:
    marked = ID_LINE.search(parsed.description)
    code_id = marked.group("id") if marked and marked.group("dimension") == dimension else slug(label)
    while code_id in used:
        code_id += "_2"
    used.add(code_id)
    cues_line = CUES_LINE.search(parsed.description)
    cues = [c.strip() for c in cues_line.group("cues").split(";") if c.strip()] if cues_line else []
    definition = _definition(parsed.description)
    if code_id in base:  # a voicemap code coming home keeps its patterns, hints and negated cues
        return replace(base[code_id], label=label or base[code_id].label,
                       definition=definition or base[code_id].definition, cues=cues or base[code_id].cues)
    if not cues and len(parsed.name.split()) <= MAX_STARTER_CUE_WORDS:
        cues = [parsed.name.lower()]
        summary.starter_cues.append(f"{dimension}/{code_id}")
    return Code(id=code_id, label=label or code_id, definition=definition, cues=cues)


def codebook_from_qdc(data: bytes, base: Codebook, name: str) -> tuple[Codebook, ImportSummary]:
    """A voicemap Codebook from a REFI-QDA codebook, completed from `base` where the file is silent."""
    summary = ImportSummary()
    found: dict[str, list[Code]] = {}
    for group in parse_codebook_xml(data):
        dimension = _dimension_of(group)
        if dimension is None:
            summary.unrecognised.append(f"{group.name} ({len(_flatten(group.children))} codes below it)")
            continue
        existing = {c.id: c for c in base.codes(dimension)}
        used = {c.id for c in found.get(dimension, [])}
        for label, parsed in _flatten(group.children):
            found.setdefault(dimension, []).append(_to_code(dimension, label, parsed, existing, used, summary))
    if not found:
        raise CodebookImportError("no top-level code names a journey dimension (Journey stages, Touchpoints, "
                                  "Emotions, Pain points); nothing to import")
    dimensions = {}
    for dimension, attribute in ATTRIBUTES.items():
        if found.get(dimension):
            dimensions[attribute] = found[dimension]
        else:
            dimensions[attribute] = list(getattr(base, attribute))
            summary.kept_from_base.append(attribute.replace("_", " "))
        summary.counts[attribute] = len(dimensions[attribute])
    stage_ids = {c.id for c in dimensions["stages"]}
    dimensions["touchpoints"] = [c if c.stage_hint in (None, *stage_ids) else replace(c, stage_hint=None)
                                 for c in dimensions["touchpoints"]]
    codebook = Codebook(name=name, version="1", pain=dict(base.pain), interviewer_names=list(base.interviewer_names),
                        **dimensions)
    return codebook, summary
