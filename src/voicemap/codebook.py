"""The codebook: stages, touchpoints, emotions and pain categories, as editable data.

The tagger's rules live in a TOML file (`models/codebook.toml` by default) so a
researcher can add a cue or define a whole new journey (say, a patient journey)
without touching code. This module only loads and validates it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicemap.settings import default_codebook_path


class CodebookError(Exception):
    """A codebook file that cannot be used; the message names the file and the problem."""


@dataclass
class Code:
    id: str
    label: str
    definition: str = ""
    cues: list[str] = field(default_factory=list)
    patterns: list[list[dict[str, Any]]] = field(default_factory=list)
    implicit_cues: list[str] = field(default_factory=list)
    negated_cues: list[str] = field(default_factory=list)
    stage_hint: str | None = None
    goemotions: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)  # touchpoints a pain category is usually about


@dataclass
class Codebook:
    name: str
    version: str
    stages: list[Code]
    touchpoints: list[Code]
    emotions: list[Code]
    pain_categories: list[Code]
    pain: dict[str, list[str]]
    interviewer_names: list[str]
    path: str = ""
    # [pain_patterns]: complaint family -> spaCy Matcher patterns, for markers a phrase cannot express
    pain_patterns: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)

    def ids(self, dimension: str) -> list[str]:
        return [code.id for code in self.codes(dimension)]

    def codes(self, dimension: str) -> list[Code]:
        return {
            "stage": self.stages,
            "touchpoint": self.touchpoints,
            "emotion": self.emotions,
            "pain_category": self.pain_categories,
        }[dimension]

    def label(self, dimension: str, code_id: str) -> str:
        for code in self.codes(dimension):
            if code.id == code_id:
                return code.label
        return code_id


def _codes(path: Path, data: dict, key: str) -> list[Code]:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not entries:
        raise CodebookError(f"{path}: needs at least one [[{key}]] entry")
    codes = []
    for number, entry in enumerate(entries, start=1):
        if "id" not in entry:
            raise CodebookError(f"{path}: [[{key}]] entry {number} has no id")
        known = {f for f in Code.__dataclass_fields__}
        unknown = set(entry) - known
        if unknown:
            raise CodebookError(f"{path}: [[{key}]] '{entry['id']}' has unknown field(s) {', '.join(sorted(unknown))}")
        entry = dict(entry)
        entry.setdefault("label", entry["id"].replace("_", " ").capitalize())
        codes.append(Code(**entry))
    ids = [c.id for c in codes]
    if len(set(ids)) != len(ids):
        raise CodebookError(f"{path}: duplicate ids in [[{key}]]")
    return codes


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook TOML file (the default one when path is None)."""
    path = Path(path) if path else default_codebook_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError(f"{path}: codebook file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CodebookError(f"{path}: not valid TOML ({exc})") from None
    codebook = Codebook(
        name=data.get("name", path.stem),
        version=str(data.get("version", "1")),
        stages=_codes(path, data, "stage"),
        touchpoints=_codes(path, data, "touchpoint"),
        emotions=_codes(path, data, "emotion"),
        pain_categories=_codes(path, data, "pain_category"),
        pain={k: list(v) for k, v in data.get("pain", {}).items()},
        interviewer_names=list(data.get("interviewer_names", [])),
        pain_patterns={k: list(v) for k, v in data.get("pain_patterns", {}).items()},
        path=str(path),
    )
    stage_ids = set(codebook.ids("stage"))
    for touchpoint in codebook.touchpoints:
        if touchpoint.stage_hint and touchpoint.stage_hint not in stage_ids:
            raise CodebookError(f"{path}: touchpoint '{touchpoint.id}' hints at unknown stage '{touchpoint.stage_hint}'")
    return codebook
