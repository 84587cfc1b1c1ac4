"""What the app says when a job ends, and the optional parts it calls (clustering, pitfalls).

Kept apart from the widgets: these are plain functions over the core (no Textual), run
inside the jobs' threads, so the chat shows the same figures the CLI prints.
"""

from __future__ import annotations

import importlib
import importlib.util

from voicemap.report.markdown import escape_inline

SHOWN_FILES = 8


def import_summary(report) -> str:
    """A short Markdown account of an import: per file, then the total."""
    lines = []
    for result in report.files[:SHOWN_FILES]:
        name = escape_inline(result.path, line_start=False)
        if result.status in ("imported", "replaced"):
            lines.append(f"- {result.status} {name}: {result.statements:,} statements ({result.kind})"
                         + (f", {len(result.skipped)} rows skipped" if result.skipped else ""))
        elif result.status == "unchanged":
            lines.append(f"- unchanged {name}: already imported")
        else:
            lines.append(f"- {result.status} {escape_inline(result.error or name, line_start=False)}")
    if len(report.files) > SHOWN_FILES:
        lines.append(f"- … and {len(report.files) - SHOWN_FILES} more files")
    imported = sum(f.status in ("imported", "replaced") for f in report.files)
    head = f"Imported **{imported}** of {len(report.files)} files, **{report.statements:,}** statements."
    if report.failed:
        head += f" {len(report.failed)} failed."
    return "\n".join([head, ""] + lines) + "\n"


def pitfalls_available() -> bool:
    return importlib.util.find_spec("voicemap.report.pitfalls") is not None


def render_report(db, codebook) -> str:
    """The pitfalls report, when this build has it."""
    if not pitfalls_available():
        return ("# Pitfalls report\n\nThe pitfalls report is not available in this build. "
                "The journey map (`map`) is.\n")
    module = importlib.import_module("voicemap.report.pitfalls")
    return module.render_pitfalls_report(db, codebook)


def render_map(db, codebook) -> str:
    from voicemap.report.journey_map import render_journey_map

    return render_journey_map(db, codebook)
