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
from voicemap.report.aggregate import (CONVERSATION_ORDER, PAIN, PAIN_BY_STAGE, counted, first_seen, in_list,
                                       json_list, nonempty_list, people_sql, ranked_codes, ranked_rows, scoped_sql,
                                       truthy)
from voicemap.report.markdown import share

MIN_STAGED_FOR_PATH = 3  # a participant needs this many staged statements to show a path
THIN_PARTICIPANTS = 3
THIN_STATEMENTS = 5
NEGATIVE_EMOTIONS = ("frustration", "anxiety", "disappointment", "skepticism", "confusion")
# Counts run in SQLite over the whole study; a tie between equal counts goes to what a reader
# of the conversations meets first (source, turn, statement), as a pass over the rows did.
HAS_PARTICIPANT = truthy("s.participant_id")
HAS_STAGE = "coalesce(s.stage, '') != ''"
# `instr` on the stored list first: a code written in the list is a necessary condition (codes are
# plain ASCII words, stored as is), so most statements are ruled out without parsing their JSON.
NEGATIVE_FELT = (f"({' or '.join(f'instr(s.emotions, {e!r})' for e in NEGATIVE_EMOTIONS)}) and "
                 f"exists (select 1 from json_each({json_list('emotions')}) e "
                 f"where {in_list('e.value', NEGATIVE_EMOTIONS)})")


@dataclass
class PitfallFinding:
    pitfall: str
    finding: str
    verdict: str  # "risk" | "watch" | "ok"
    details: list[str] = field(default_factory=list)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def _stage_ids(codebook: Codebook) -> list[str]:
    return [s.id for s in codebook.stages]


def staged_paths(db: Database, codebook: Codebook) -> dict[Any, list[str]]:
    """participant -> the stages of their statements in conversation order, for participants with
    `MIN_STAGED_FOR_PATH` or more (only those can show a path)."""
    ids = _stage_ids(codebook)
    # Participants with that many statements of any stage, from the participant index alone: in a
    # survey (one answer each) there are none, and the staged statements are never read.
    several = ("s.participant_id in (select participant_id from statements where participant_id is not null "
               "group by participant_id having count(*) >= ?)")
    sql, params = scoped_sql("s.participant_id, s.stage", None, [in_list("s.stage", ids), HAS_PARTICIPANT, several],
                             ids + [MIN_STAGED_FOR_PATH], uses=CONVERSATION_ORDER,
                             tail=f" order by {CONVERSATION_ORDER}")
    paths: dict[Any, list[str]] = {}
    for who, stage in db.execute(sql, params):
        paths.setdefault(who, []).append(stage)
    return {who: path for who, path in paths.items() if len(path) >= MIN_STAGED_FOR_PATH}


def non_linear_journeys(db: Database, codebook: Codebook) -> PitfallFinding:
    order = {s.id: i for i, s in enumerate(codebook.stages)}
    eligible = staged_paths(db, codebook)
    loops: Counter = Counter()
    looping = 0
    for path in eligible.values():
        # in path order (not a set's), so ties between loops rank the same on every run
        backs = list(dict.fromkeys((a, b) for a, b in zip(path, path[1:]) if order[b] <= order[a] - 2))
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


def ignored_emotions(db: Database, codebook: Codebook) -> PitfallFinding:
    pains, with_emotion = counted(db, f"count(*), sum({nonempty_list('emotions')})", None, [PAIN])[0]
    if not pains:
        return PitfallFinding("Ignored emotions", "No pain points recorded.", "watch")
    negative = ranked_codes(db, "emotions", "0", None, [in_list("j.value", NEGATIVE_EMOTIONS)], NEGATIVE_EMOTIONS,
                            order=CONVERSATION_ORDER, top=3).get(0, [])
    by_stage = ranked_rows(db, "s.stage", None, [HAS_STAGE, NEGATIVE_FELT], NEGATIVE_EMOTIONS,
                           order=CONVERSATION_ORDER, top=1)
    top = ", ".join(f"{codebook.label('emotion', e)} ({n})" for e, n in negative[:3]) or "none"
    finding = (f"{share(with_emotion, pains)} pain statements name an emotion; negative emotions "
               f"expressed: {top}.")
    if by_stage:
        stage, n = by_stage[0]
        finding += f" They concentrate at {codebook.label('stage', stage)} ({n} statements)."
    if with_emotion * 20 < pains:
        return PitfallFinding("Ignored emotions", finding, "watch",
                              ["Few statements name a feeling: ask about emotions in interviews."])
    return PitfallFinding("Ignored emotions", finding, "risk",
                          ["Keep the emotion curve on the map: these feelings drive the scores."])


def neglected_post_purchase(db: Database, codebook: Codebook) -> PitfallFinding:
    ids = _stage_ids(codebook)
    cut = ids.index("purchase") + 1 if "purchase" in ids else len(ids) // 2
    post = ids[cut:]
    names = ", ".join(codebook.label("stage", s) for s in post)
    pain_by_stage = dict(counted(db, "s.stage, count(*)", None, [PAIN, in_list("s.stage", ids)], ids,
                                 tail=PAIN_BY_STAGE))
    staged_pain, after = sum(pain_by_stage.values()), sum(pain_by_stage.get(s, 0) for s in post)
    if not staged_pain:
        return PitfallFinding("Neglected post-purchase stages", "No staged pain points yet.", "watch")
    finding = (f"{_percent(after, staged_pain)} of staged pain ({after} of {staged_pain} statements) "
               f"is in post-purchase stages ({names}).")
    verdict = "risk" if after * 2 >= staged_pain else "ok"
    return PitfallFinding("Neglected post-purchase stages", finding, verdict,
                          ["Most of the pain comes after the sale: a map that ends at purchase misses it."]
                          if verdict == "risk" else [])


def thin_stages(db: Database, codebook: Codebook) -> PitfallFinding:
    ids = _stage_ids(codebook)
    evidence = {stage: (n, people) for stage, n, people in counted(
        db, f"s.stage, count(*), {people_sql()}", None, [in_list("s.stage", ids)], ids, tail=" group by s.stage")}
    empty, thin = [], []
    for stage in codebook.stages:
        statements, people = evidence.get(stage.id, (0, 0))
        if not statements:
            empty.append(stage.label)
        elif people < THIN_PARTICIPANTS or statements < THIN_STATEMENTS:
            thin.append(f"{stage.label} ({statements} statements, {people} participants)")
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


def touchpoint_silos(db: Database, codebook: Codebook, issues: list) -> PitfallFinding:
    coded_pain = [PAIN, nonempty_list("touchpoints"), HAS_PARTICIPANT]
    per_person: dict[Any, set[str]] = {}
    for who, touchpoint in counted(db, "distinct s.participant_id, j.value", None, coded_pain,
                                   from_extra=f", json_each({json_list('touchpoints')}) j"):
        per_person.setdefault(who, set()).add(touchpoint)
    crossing = [p for p, tps in per_person.items() if len(tps) >= 2]
    pairs = Counter(tuple(sorted(per_person[p]))[:2] for p in crossing)
    if len(pairs) > 1 and len({n for _, n in pairs.most_common(2)}) == 1:  # a tie for the most common pair
        met_first = first_seen(db, "s.participant_id", None, coded_pain)  # goes to the participant met first
        crossing.sort(key=met_first.__getitem__)
        pairs = Counter(tuple(sorted(per_person[p]))[:2] for p in crossing)
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
    return [non_linear_journeys(db, codebook), ignored_emotions(db, codebook),
            neglected_post_purchase(db, codebook), thin_stages(db, codebook),
            touchpoint_silos(db, codebook, issues)]
