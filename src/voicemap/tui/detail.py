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
CODE_ROWS = (("stage", "Stage"), ("touchpoint", "Touchpoints"), ("emotion", "Emotions"),
             ("sentiment", "Sentiment"), ("pain", "Pain point"), ("pain_category", "Category"))
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
    text.append("\n\n")
    codes = provenance(db, row["id"])
    for dimension, title in CODE_ROWS:
        entry = codes.get(dimension, {"human": None, "auto": []})
        text.append(f"{title:<12}", style="bold")
        if entry["human"] is not None:
            values = [_name(codebook, dimension, v) for v in entry["human"]["values"]] or ["none"]
            text.append_text(plain("✎ " + ", ".join(values), style=HUMAN_STYLE))
            text.append_text(plain(f"   by {entry['human']['coder']} {(entry['human']['at'] or '')[:16]}", style="dim"))
            autos = [r["value"] for r in entry["auto"] if r["value"] is not None]
            if autos:
                text.append_text(plain("   (automatic: " + ", ".join(_name(codebook, dimension, v) for v in autos) + ")",
                                       style="dim"))
        else:
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
            text.append_text(plain(", ".join(parts) or "—"))
        text.append("\n")
    text.append("\nIn context\n", style="bold")
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


def strip_for_find(text: str) -> str:
    return plain(text).plain
