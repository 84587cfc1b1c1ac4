"""One statement in context, as rich Text: its codes with where each came from, and the
turns around it.

Human codes are marked "✎" with the coder and time, automatic ones show the cue that
produced them, so a researcher sees at a glance what was checked and why a tag is
there. All customer text is literal (no markup, control characters stripped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from voicemap.tui.safe import plain

if TYPE_CHECKING:
    from sqlite_utils import Database

    from voicemap.codebook import Codebook

HUMAN_STYLE = "bold magenta"
# Two dimensions per line: the codes stay visible above the context even in a 30-line terminal.
CODE_LINES = ((("stage", "Stage"), ("sentiment", "Sentiment")), (("touchpoint", "Touchpoints"), ("emotion", "Emotions")),
              (("pain", "Pain point"), ("pain_category", "Category")))
LABELLED = ("stage", "touchpoint", "emotion", "pain_category")


def provenance(db: Database, statement_id: int) -> dict[str, dict[str, Any]]:
    """Per dimension: current values, whether a human set them, and the cue/coder behind them."""
    found: dict[str, dict[str, Any]] = {}
    rows = db.query("select dimension, value, origin, cue, confidence, coder, created_at from tags "
                    "where statement_id = ? and (origin != 'human' or superseded_by is null) order by id",
                    [statement_id])
    for row in rows:
        entry = found.setdefault(row["dimension"], {"human": None, "auto": []})
        if row["origin"] == "human":
            human = entry["human"] or {"values": [], "coder": row["coder"], "at": row["created_at"]}
            if row["value"] is not None:
                human["values"].append(row["value"])
            entry["human"] = human
        else:
            entry["auto"].append(row)
    return found


def human_dimensions(db: Database, statement_ids: list[int]) -> dict[int, set[str]]:
    """Which dimensions of which statements carry a current human code (one query per page)."""
    if not statement_ids:
        return {}
    marks = ",".join("?" * len(statement_ids))
    result: dict[int, set[str]] = {}
    for row in db.query(f"select distinct statement_id, dimension from tags where origin = 'human' and "
                        f"superseded_by is null and statement_id in ({marks})", statement_ids):
        result.setdefault(row["statement_id"], set()).add(row["dimension"])
    return result


def _name(codebook: Codebook, dimension: str, value: str) -> str:
    return codebook.label(dimension, value) if dimension in LABELLED else value


def statement_detail(db: Database, row: dict[str, Any], codebook: Codebook, before: int = 2, after: int = 2) -> Text:
    from voicemap.store.query import context_turns

    who = row.get("participant") or row.get("speaker") or "unknown"
    if row.get("pseudonym") and row["pseudonym"] != who:
        who = f"{who} ({row['pseudonym']})"
    text = Text()
    text.append(f"#{row['id']}  ", style="bold")
    text.append_text(plain(f"{row['source']} · {who} · {row['location']}"))
    if row.get("date"):
        text.append_text(plain(f" · {row['date']}"))
    metadata = row.get("metadata") or {}
    if metadata:
        text.append("\n")
        text.append_text(plain("  ".join(f"{k}={v}" for k, v in metadata.items()), style="dim"))
    text.append("\n")
    codes = provenance(db, row["id"])
    for pair in CODE_LINES:
        for position, (dimension, title) in enumerate(pair):
            if position:
                text.append("   ")
            text.append(f"{title}: ", style="bold")
            text.append_text(_code_text(codebook, dimension, codes.get(dimension, {"human": None, "auto": []}), row))
        text.append("\n")
    text.append("\nIn context\n", style="bold")
    if row.get("source_kind") != "transcript":
        before = after = 0  # the neighbours of a review or survey answer are other people
    for turn in context_turns(db, row["utterance_id"], before, after):
        current = turn["id"] == row["utterance_id"]
        speaker = turn["speaker"] or ("customer" if turn["is_customer"] else "")
        prefix = "▶ " if current else "  "
        text.append_text(plain(f"{prefix}{speaker}: " if speaker else prefix, style="bold" if current else "dim"))
        body = plain(turn["text"], style="" if current else "dim")
        if current:
            start = body.plain.find(strip_for_find(row["text"]))
            if start >= 0:
                body.stylize("reverse", start, start + len(strip_for_find(row["text"])))
        text.append_text(body)
        text.append("\n")
    return text


def _code_text(codebook: Codebook, dimension: str, entry: dict[str, Any], row: dict[str, Any]) -> Text:
    """One dimension's values: "✎ value (coder, date; automatic: …)" for a human code, else value ← cue."""
    if entry["human"] is not None:
        values = [_name(codebook, dimension, v) for v in entry["human"]["values"]] or ["none"]
        text = plain("✎ " + ", ".join(values), style=HUMAN_STYLE)
        autos = [_name(codebook, dimension, r["value"]) for r in entry["auto"] if r["value"] is not None]
        note = f" ({entry['human']['coder']} {(entry['human']['at'] or '')[:10]}"
        note += f"; was {', '.join(autos)})" if autos else ")"
        text.append_text(plain(note, style="dim"))
        return text
    parts = []
    for auto in entry["auto"]:
        if auto["value"] is None:
            continue
        part = _name(codebook, dimension, auto["value"])
        if dimension == "sentiment" and row.get("sentiment_score") is not None:
            part += f" {row['sentiment_score']:+.2f}"
        elif auto["cue"] and dimension != "sentiment":
            part += f" ← “{auto['cue']}”"
        parts.append(part)
    return plain(", ".join(parts) or "—")


def strip_for_find(text: str) -> str:
    return plain(text).plain
