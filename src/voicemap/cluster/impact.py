"""What an issue costs in the scores: the average without the people who raised it.

When feedback carries a score (an NPS answer, a CSAT, a star rating), the most direct
question a stakeholder asks is "how much better would our score be if this problem
went away?". We answer the observable version: the average score of everyone who gave
one, and the average of those who did not raise the issue. The difference is an
association, not proof of cause; the report says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable

from sqlite_utils import Database

SCORE_NAME = re.compile(r"^(nps|csat|ces|rating|stars?|score|satisfaction|likelihood_to_recommend|recommend)$|"
                        r"(^|_)(nps|csat)(_|$)", re.IGNORECASE)
KNOWN_SCALES = {"nps": (0.0, 10.0)}


@dataclass
class ScoreImpact:
    score: str
    respondents: int  # participants with this score
    raisers: int  # of them, how many raised the issue
    mean_all: float
    mean_without: float
    scale: tuple[float, float]

    @property
    def delta(self) -> float:
        """How the average would change without the raisers (positive: it would rise)."""
        return self.mean_without - self.mean_all

    @property
    def relative(self) -> float:
        """The change as a share of the score's range, to compare NPS with star ratings."""
        span = self.scale[1] - self.scale[0]
        return self.delta / span if span > 0 else 0.0


def _number(value) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is not a score


def participant_scores(db: Database) -> dict[str, dict[int, float]]:
    """score name -> {participant id: score}; the first score a participant gave counts."""
    scores: dict[str, dict[int, float]] = {}
    score_names: dict[str, str] = {}  # metadata key -> its score name, "" when not a score (keys repeat per row)
    rows = db.execute("select s.participant_id, s.rating, u.metadata from statements s "
                      "join utterances u on u.id = s.utterance_id where s.participant_id is not null order by s.id")
    for who, rating, metadata in rows:
        found = {}
        for key, value in (json.loads(metadata) if metadata and metadata != "{}" else {}).items():
            name = score_names.get(key)
            if name is None:
                name = key.strip().lower()
                name = score_names[key] = name if SCORE_NAME.search(name) else ""
            number = _number(value) if name else None
            if number is not None:
                found[name] = number
        if rating is not None and float(rating) not in found.values():
            found["rating"] = float(rating)  # a reader's score with no column of its own
        for name, number in found.items():
            scores.setdefault(name, {}).setdefault(who, number)
    return {name: values for name, values in scores.items() if len(values) >= 2}


def score_scale(name: str, values: Iterable[float]) -> tuple[float, float]:
    for known, scale in KNOWN_SCALES.items():
        if known in name:
            return scale
    values = list(values)
    return (min(values), max(values)) if values else (0.0, 0.0)


@dataclass(frozen=True)
class ScoreSummary:
    """What every issue's impact on one score shares, worked out once rather than once per issue."""

    values: dict[int, float]
    total: float  # sum(values.values()), in their order
    whole: bool  # every value a whole number, small enough that sums are exact in any order
    scale: tuple[float, float]


def summarise_scores(scores: dict[str, dict[int, float]]) -> dict[str, ScoreSummary]:
    summaries = {}
    for name, values in scores.items():
        numbers = values.values()
        whole = all(isinstance(v, float) and v.is_integer() for v in numbers) and sum(map(abs, numbers)) < 2 ** 52
        summaries[name] = ScoreSummary(values, sum(numbers), whole, score_scale(name, numbers))
    return summaries


def score_impacts(scores: dict[str, dict[int, float]], raisers: set[int],
                  summaries: dict[str, ScoreSummary] | None = None) -> list[ScoreImpact]:
    """One impact per score the raisers gave; skipped when nobody (or everybody) raised it."""
    summaries = summaries or summarise_scores(scores)
    impacts = []
    for name in sorted(scores):
        summary = summaries[name]
        values = summary.values
        raised = [p for p in raisers if p in values]
        if not raised or len(raised) == len(values):
            continue
        if summary.whole:  # exact, so the same number as adding up the others one by one
            rest_total = summary.total - sum(values[p] for p in raised)
        else:
            rest_total = sum(v for p, v in values.items() if p not in raisers)
        impacts.append(ScoreImpact(name, len(values), len(raised), summary.total / len(values),
                                   rest_total / (len(values) - len(raised)), summary.scale))
    return impacts
