"""The core never imports Textual: only `voicemap.tui` (and the launcher that opens it) may.

Every module under src/voicemap is imported, one after another, in a fresh interpreter
that reports which import first brought `textual` into sys.modules (as harlequin's
import-hygiene test does). Modules are discovered on disk, so a new core module is
covered the day it is added.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

SRC = ROOT / "src"
UI_MODULES = ("voicemap.tui", "voicemap.cli.tui_launcher")
ENTRY_POINT = "voicemap.__main__"  # importing it runs the CLI; checked by reading it instead

PROBE = """
import importlib, json, sys
report = {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
        report[name] = "textual" if "textual" in sys.modules else "ok"
    except Exception as exc:
        report[name] = f"error: {exc.__class__.__name__}: {exc}"
    if report[name] == "textual":
        break
print(json.dumps(report))
"""


def core_modules() -> list[str]:
    names = []
    for path in sorted((SRC / "voicemap").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name.startswith(UI_MODULES) or name == ENTRY_POINT:
            continue
        names.append(name)
    return names


@pytest.fixture(scope="module")
def import_report() -> dict[str, str]:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(core_modules())], capture_output=True,
                            text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", core_modules())
def test_core_module_does_not_import_textual(module, import_report):
    assert module in import_report, "an earlier module already imported textual (see its failure)"
    assert import_report[module] == "ok", f"{module}: {import_report[module]}"


def test_every_package_is_covered():
    covered = core_modules()
    for package in ("voicemap.assistant", "voicemap.store", "voicemap.report", "voicemap.nlp", "voicemap.ingest",
                    "voicemap.agreement", "voicemap.retag", "voicemap.cli.app", "voicemap.cli.commands"):
        assert any(name == package or name.startswith(package + ".") for name in covered), package


def test_entry_point_only_starts_the_cli():
    tree = ast.parse((SRC / "voicemap" / "__main__.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported == {"voicemap.cli"}


def test_the_probe_would_notice_textual(tmp_path):
    """The check itself can fail: a module importing textual is reported as such."""
    (tmp_path / "uses_textual.py").write_text("import textual\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(["json", "uses_textual"])], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert json.loads(result.stdout) == {"json": "ok", "uses_textual": "textual"}
