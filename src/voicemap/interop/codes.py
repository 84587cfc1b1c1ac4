"""The code tree voicemap shares with QDA tools: one group per dimension, one code per value.

Both the project export (.qdpx) and the codebook export (.qdc) use this tree, with
GUIDs derived from the codebook and code ids, so the same code has the same GUID in
every export and a QDA tool can merge a re-export instead of duplicating codes. The
description of each code carries its definition and cue phrases (what a human coder
needs) and a `voicemap id:` line so a codebook can come back in unchanged.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from voicemap.codebook import Codebook

GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/voicemap/refi-qda")
# (dimension, group name, colour, is the group itself a code?)
GROUPS = (
    ("stage", "Journey stage", "#4E79A7", False),
    ("touchpoint", "Touchpoint", "#F28E2B", False),
    ("emotion", "Emotion", "#E15759", False),
    ("pain", "Pain point", "#B07AA1", True),  # the group is the code "pain: yes"; its children are categories
    ("sentiment", "Sentiment", "#59A14F", False),
)
SENTIMENTS = ("positive", "neutral", "negative")
ID_LINE = re.compile(r"^voicemap id: (?P<dimension>[a-z_]+)/(?P<id>\S+)\s*$", re.M)
DIMENSION_LINE = re.compile(r"^voicemap dimension: (?P<dimension>[a-z_]+)\s*$", re.M)
CUES_LINE = re.compile(r"^Cue phrases: (?P<cues>.*)$", re.M)


def guid(*parts: object) -> str:
    """A stable GUID for anything voicemap exports, from what identifies it."""
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join(str(p) for p in parts)))


@dataclass
class QdaCode:
    guid: str
    name: str
    dimension: str
    value: str | None  # the stored tag value this code stands for (None: a group that is only a folder)
    description: str
    color: str
    codable: bool
    children: list["QdaCode"] = field(default_factory=list)


def describe_code(dimension: str, code_id: str, definition: str, cues: list[str]) -> str:
    lines = [definition.strip()] if definition.strip() else []
    if cues:
        lines.append("Cue phrases: " + "; ".join(cues))
    lines.append(f"voicemap id: {dimension}/{code_id}")
    return "\n".join(lines)


def code_tree(codebook: Codebook, extra_values: dict[str, set[str]] | None = None) -> list[QdaCode]:
    """The groups and codes of a codebook, plus any values found in the data but not in it."""
    extra_values = extra_values or {}
    tree = []
    for dimension, group_name, color, codable in GROUPS:
        child_dimension = "pain_category" if dimension == "pain" else dimension
        group = QdaCode(guid(codebook.name, "group", dimension), group_name, dimension,
                        "yes" if codable else None,
                        ("A statement reports a problem, obstacle or unmet expectation.\n" if codable else "")
                        + f"voicemap dimension: {dimension}", color, codable)
        if dimension == "sentiment":
            entries = [(value, value.capitalize(), "VADER compound score of the statement", []) for value in SENTIMENTS]
        else:
            entries = [(c.id, c.label, c.definition, c.cues) for c in codebook.codes(child_dimension)]
        known = {entry[0] for entry in entries}
        entries += [(value, value, "Found in the data but not in the codebook.", [])
                    for value in sorted(extra_values.get(child_dimension, set()) - known)]
        for code_id, label, definition, cues in entries:
            group.children.append(QdaCode(guid(codebook.name, "code", child_dimension, code_id), label,
                                          child_dimension, code_id, describe_code(child_dimension, code_id,
                                                                                  definition, cues), color, True))
        tree.append(group)
    return tree


def code_index(tree: list[QdaCode]) -> dict[tuple[str, str], QdaCode]:
    """(dimension, stored value) -> code, for turning tags into codings."""
    index = {}
    for group in tree:
        if group.codable and group.value:
            index[(group.dimension, group.value)] = group
        for child in group.children:
            index[(child.dimension, child.value)] = child
    return index
