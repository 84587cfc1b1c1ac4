"""Write a Codebook back out as the TOML file voicemap reads (models/codebook.toml's format).

Python reads TOML but cannot write it without another dependency, and a codebook
only needs strings, lists and small inline tables (spaCy token patterns), so a
small writer is enough. The output is loaded back by `load_codebook` in the tests.
"""

from __future__ import annotations

import json
import re
from typing import Any

from voicemap.codebook import Code, Codebook

SECTIONS = (("stage", "stages"), ("touchpoint", "touchpoints"), ("emotion", "emotions"),
            ("pain_category", "pain_categories"))
CODE_FIELDS = ("label", "definition", "cues", "patterns", "implicit_cues", "negated_cues", "stage_hint",
               "goemotions", "related")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are valid TOML basic-string escapes; DEL is not allowed raw in TOML.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_value(key)


def _code_block(section: str, code: Code) -> list[str]:
    lines = [f"[[{section}]]", f"id = {toml_value(code.id)}"]
    for name in CODE_FIELDS:
        value = getattr(code, name)
        if value in (None, "", []):
            continue
        if name == "patterns":
            lines.append("patterns = [")
            lines += [f"  {toml_value(pattern)}," for pattern in value]
            lines.append("]")
        else:
            lines.append(f"{name} = {toml_value(value)}")
    return lines + [""]


def codebook_to_toml(codebook: Codebook, header: str = "") -> str:
    """The codebook as TOML text that `load_codebook` reads back to the same codes."""
    lines = [f"# {line}" if line else "#" for line in header.strip().splitlines()] if header else []
    lines += ["" if lines else "", f"name = {toml_value(codebook.name)}", f"version = {toml_value(codebook.version)}",
              f"interviewer_names = {toml_value(codebook.interviewer_names)}", ""]
    for section, attribute in SECTIONS:
        for code in getattr(codebook, attribute):
            lines += _code_block(section, code)
    if codebook.pain:
        lines.append("[pain]")
        lines += [f"{toml_key(key)} = {toml_value(values)}" for key, values in codebook.pain.items()]
        lines.append("")
    return "\n".join(lines).lstrip("\n")
