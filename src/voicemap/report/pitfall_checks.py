"""The common journey-management pitfalls, each checked against what the data shows.

Journey maps go wrong in known ways: they draw a straight line where customers loop,
leave out how people felt, stop at the purchase, claim things about stages nobody
talked about, and split one customer problem across channel owners. Each check here
returns a finding with the counts behind it, so the report can say "3 of 5
interviewees went back from support to purchase" instead of repeating a textbook.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from voicemap.codebook import Codebook
from voicemap.report.markdown import share

MIN_STAGED_FOR_PATH = 3  # a participant needs this many staged statements to show a path
THIN_PARTICIPANTS = 3
THIN_STATEMENTS = 5
NEGATIVE_EMOTIONS = ("frustration", "anxiety", "disappointment", "skepticism", "confusion")


@dataclass
class PitfallFinding:
    pitfall: str
    finding: str
    verdict: str  # "risk" | "watch" | "ok"
    details: list[str] = field(default_factory=list)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def _rows(db: Database) -> list[dict[str, Any]]:
    from voicemap.store.query import select_statements

    return list(select_statements(db, order="s.source_id, u.idx, s.idx"))


def non_linear_journeys(rows: list[dict], codebook: Codebook) -> PitfallFinding:
    order = {s.id: i for i, s in enumerate(codebook.stages)}
    paths: dict[Any, list[str]] = {}
    for row in rows:
        if row["stage"] in order and row.get("participant_id"):
            paths.setdefault(row["participant_id"], []).append(row["stage"])
    eligible = {p: path for p, path in paths.items() if len(path) >= MIN_STAGED_FOR_PATH}
    loops: Counter = Counter()
    looping = 0
    for path in eligible.values():
        backs = {(a, b) for a, b in zip(path, path[1:]) if order[b] <= order[a] - 2}
        looping += bool(backs)
        loops.update(backs)
    if not eligible:
        return PitfallFinding("Non-linear journeys", "Too few participants with several staged statements "
                              "to trace a path (needs interviews or long answers).", "watch")
    common = ", ".join(f"{codebook.label('stage', a)} → {codebook.label('stage', b)} ({n})"
                       for (a, b), n in loops.most_common(3))
    finding = (f"{share(looping, len(eligible))} participants with {MIN_STAGED_FOR_PATH}+ staged statements went back "
               f"to an earlier stage at least once" + (f" (most often {common})." if common else "."))
    verdict = "risk" if looping * 4 >= len(eligible) and looping >= 2 else "ok"
    return PitfallFinding("Non-linear journeys", finding, verdict,
                          ["Draw the loops on the map; a straight line would hide them."] if verdict == "risk" else [])


def ignored_emotions(rows: list[dict], codebook: Codebook) -> PitfallFinding:
    pains = [r for r in rows if r["pain"]]
    with_emotion = [r for r in pains if r["emotions"]]
    negative = Counter(e for r in rows for e in r["emotions"] if e in NEGATIVE_EMOTIONS)
    by_stage = Counter(r["stage"] for r in rows if r["stage"] and any(e in NEGATIVE_EMOTIONS for e in r["emotions"]))
    if not pains:
        return PitfallFinding("Ignored emotions", "No pain points recorded.", "watch")
    top = ", ".join(f"{codebook.label('emotion', e)} ({n})" for e, n in negative.most_common(3)) or "none"
    finding = (f"{share(len(with_emotion), len(pains))} pain statements name an emotion; negative emotions "
               f"expressed: {top}.")
    if by_stage:
        stage, n = by_stage.most_common(1)[0]
        finding += f" They concentrate at {codebook.label('stage', stage)} ({n} statements)."
    if len(with_emotion) * 20 < len(pains):
        return PitfallFinding("Ignored emotions", finding, "watch",
                              ["Few statements name a feeling: ask about emotions in interviews."])
    return PitfallFinding("Ignored emotions", finding, "risk",
                          ["Keep the emotion curve on the map: these feelings drive the scores."])


def neglected_post_purchase(rows: list[dict], codebook: Codebook) -> PitfallFinding:
    ids = [s.id for s in codebook.stages]
    cut = ids.index("purchase") + 1 if "purchase" in ids else len(ids) // 2
    post = set(ids[cut:])
    staged_pain = [r for r in rows if r["pain"] and r["stage"] in ids]
    after = sum(r["stage"] in post for r in staged_pain)
    names = ", ".join(codebook.label("stage", s) for s in ids[cut:])
    if not staged_pain:
        return PitfallFinding("Neglected post-purchase stages", "No staged pain points yet.", "watch")
    finding = (f"{_percent(after, len(staged_pain))} of staged pain ({after} of {len(staged_pain)} statements) "
               f"is in post-purchase stages ({names}).")
    verdict = "risk" if after * 2 >= len(staged_pain) else "ok"
    return PitfallFinding("Neglected post-purchase stages", finding, verdict,
                          ["Most of the pain comes after the sale: a map that ends at purchase misses it."]
                          if verdict == "risk" else [])


def thin_stages(rows: list[dict], codebook: Codebook) -> PitfallFinding:
    empty, thin = [], []
    for stage in codebook.stages:
        stage_rows = [r for r in rows if r["stage"] == stage.id]
        people = {r["participant_id"] for r in stage_rows}
        if not stage_rows:
            empty.append(stage.label)
        elif len(people) < THIN_PARTICIPANTS or len(stage_rows) < THIN_STATEMENTS:
            thin.append(f"{stage.label} ({len(stage_rows)} statements, {len(people)} participants)")
    parts = []
    if empty:
        parts.append("No evidence collected for " + ", ".join(empty) + ".")
    if thin:
        parts.append("Thin evidence for " + "; ".join(thin) + ".")
    if not parts:
        return PitfallFinding("Thin data for a stage", f"Every stage has at least {THIN_PARTICIPANTS} participants "
                              f"and {THIN_STATEMENTS} statements.", "ok")
    return PitfallFinding("Thin data for a stage", " ".join(parts), "risk",
                          ["Collect more feedback for these stages before drawing conclusions about them."])


def touchpoint_silos(rows: list[dict], codebook: Codebook, issues: list) -> PitfallFinding:
    per_person: dict[Any, set[str]] = {}
    for row in rows:
        if row["pain"] and row["touchpoints"] and row.get("participant_id"):
            per_person.setdefault(row["participant_id"], set()).update(row["touchpoints"])
    crossing = {p: tps for p, tps in per_person.items() if len(tps) >= 2}
    pairs = Counter(tuple(sorted(t))[:2] for t in crossing.values())
    spanning = []
    for issue in issues:
        touchpoints = [t for t, n in issue.counter("touchpoints").items() if n >= 2]
        if issue.recurring and len(touchpoints) >= 3:
            spanning.append(f"“{issue.label}” spans {len(touchpoints)} touchpoints")
    if not per_person:
        return PitfallFinding("Silos between touchpoints", "No pain point names a touchpoint.", "watch")
    finding = f"{share(len(crossing), len(per_person))} participants with touchpoint-coded pain met it on 2+ touchpoints"
    if pairs:
        (a, b), n = pairs.most_common(1)[0]
        finding += f" (most often {codebook.label('touchpoint', a)} and {codebook.label('touchpoint', b)}, {n})"
    finding += "." + (" " + "; ".join(spanning[:3]) + "." if spanning else "")
    verdict = "risk" if spanning or len(crossing) * 5 >= len(per_person) else "ok"
    return PitfallFinding("Silos between touchpoints", finding, verdict,
                          ["Give cross-channel issues one owner; each channel team sees only its part."]
                          if verdict == "risk" else [])


def check_pitfalls(db: Database, codebook: Codebook, issues: list) -> list[PitfallFinding]:
    rows = _rows(db)
    return [non_linear_journeys(rows, codebook), ignored_emotions(rows, codebook),
            neglected_post_purchase(rows, codebook), thin_stages(rows, codebook),
            touchpoint_silos(rows, codebook, issues)]
