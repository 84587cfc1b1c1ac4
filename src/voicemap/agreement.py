"""How often a researcher's codes agree with the automatic ones, per dimension.

The audit trail of a study: for every statement a human coded, the current human
code is compared with the automatic code of the same statement (both kept in the tags
table). Single-valued dimensions (stage, sentiment, pain, category) give one label
pair per statement; touchpoints and emotions give one yes/no decision per code, so
Cohen's kappa is computed over those decisions. scikit-learn is imported only here,
when agreement is asked for, because it takes a second to load.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field

from sqlite_utils import Database

from voicemap.codebook import Codebook
from voicemap.report.markdown import escape_inline, table

SINGLE = ("stage", "sentiment", "pain", "pain_category")
MULTI = ("touchpoint", "emotion")
DIMENSIONS = ("stage", "touchpoint", "emotion", "sentiment", "pain", "pain_category")
NONE = "(none)"
TITLES = {"stage": "Stage", "touchpoint": "Touchpoints", "emotion": "Emotions", "sentiment": "Sentiment",
          "pain": "Pain point", "pain_category": "Pain category"}


@dataclass
class DimensionAgreement:
    dimension: str
    statements: int = 0  # statements with a current human code in this dimension
    agree: int = 0  # of those, where the automatic code(s) are the same
    kappa: float | None = None  # None when undefined (nothing coded, or a single label everywhere)
    decisions: int = 0  # label pairs kappa was computed on
    disagreements: Counter = field(default_factory=Counter)  # (automatic, human) -> times

    @property
    def rate(self) -> float | None:
        return self.agree / self.statements if self.statements else None


def _values(db: Database, dimension: str, human: bool) -> dict[int, set[str]]:
    human_ids = ("select statement_id from tags where origin = 'human' and superseded_by is null "
                 "and dimension = ?")
    if human:
        sql = human_ids.replace("select statement_id", "select statement_id, value")
        params = [dimension]
    else:
        sql = f"select statement_id, value from tags where origin != 'human' and dimension = ? and statement_id in ({human_ids})"
        params = [dimension, dimension]
    found: dict[int, set[str]] = {}
    for statement_id, value in db.execute(sql, params).fetchall():
        found.setdefault(statement_id, set())
        if value is not None:
            found[statement_id].add(value)
    return found


def kappa(first: list, second: list) -> float | None:
    """Cohen's kappa, or None where it is undefined (fewer than two labels in play)."""
    if not first or len(set(first) | set(second)) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score  # deferred: scikit-learn takes a second to import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score(first, second))
    return None if math.isnan(value) else value


def _label(values: set[str], dimension: str) -> str:
    if not values:
        return "no" if dimension == "pain" else NONE
    return sorted(values)[0]


def dimension_agreement(db: Database, dimension: str, codes: list[str] | None = None) -> DimensionAgreement:
    human = _values(db, dimension, human=True)
    auto = _values(db, dimension, human=False)
    result = DimensionAgreement(dimension, statements=len(human))
    if not human:
        return result
    if dimension in MULTI:
        universe = sorted(set(codes or []) | {v for s in list(human.values()) + list(auto.values()) for v in s})
        first, second = [], []
        for statement_id, human_values in human.items():
            auto_values = auto.get(statement_id, set())
            result.agree += auto_values == human_values
            if auto_values != human_values:
                result.disagreements[(", ".join(sorted(auto_values)) or NONE,
                                      ", ".join(sorted(human_values)) or NONE)] += 1
            for code in universe:
                first.append(code in auto_values)
                second.append(code in human_values)
    else:
        first = [_label(auto.get(statement_id, set()), dimension) for statement_id in human]
        second = [_label(values, dimension) for values in human.values()]
        for a, h in zip(first, second):
            result.agree += a == h
            if a != h:
                result.disagreements[(a, h)] += 1
    result.decisions = len(first)
    result.kappa = kappa(first, second)
    return result


def agreement(db: Database, codebook: Codebook | None = None) -> list[DimensionAgreement]:
    """Agreement for every codable dimension, in a fixed order."""
    results = []
    for dimension in DIMENSIONS:
        codes = codebook.ids(dimension) if codebook and dimension in MULTI else None
        results.append(dimension_agreement(db, dimension, codes))
    return results


def _reading(value: float | None) -> str:
    """Landis & Koch's words for a kappa, so a number means something to a reader."""
    if value is None:
        return "undefined"
    for limit, word in ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if value <= limit:
            return word
    return "almost perfect"


def agreement_markdown(db: Database, results: list[DimensionAgreement], codebook: Codebook | None = None) -> str:
    coders = list(db.query("select coder, count(distinct statement_id) as n from tags where origin = 'human' "
                           "and superseded_by is null group by coder order by n desc"))
    coded = db.execute("select count(distinct statement_id) from tags where origin = 'human' "
                       "and superseded_by is null").fetchone()[0]
    lines = ["## Agreement: your codes and the automatic ones", ""]
    if not coded:
        return "\n".join(lines + ["No statement has a human code yet. Recode statements in the coding view; "
                                  "each change is compared here with what the tagger said.", ""])
    who = ", ".join(f"{escape_inline(r['coder'] or 'unknown')} ({r['n']})" for r in coders)
    lines += [f"{coded} statements have a human code (coders: {who}).", ""]
    rows = []
    for r in results:
        rows.append([TITLES[r.dimension], r.statements, r.agree if r.statements else "—",
                     f"{100 * r.rate:.0f}%" if r.rate is not None else "—",
                     f"{r.kappa:.2f}" if r.kappa is not None else "—", _reading(r.kappa) if r.statements else "—"])
    lines += [table(["Dimension", "Coded by a human", "Same as automatic", "Agreement", "Cohen's κ", "Reading"], rows),
              "", "*κ corrects agreement for chance; for touchpoints and emotions it is computed over one yes/no "
              "decision per code and statement. Readings after Landis & Koch (1977).*", ""]
    changes = []
    for r in results:
        for (auto, human), n in r.disagreements.most_common(5):
            name = (lambda v: codebook.label(r.dimension, v) if codebook and r.dimension in
                    ("stage", "touchpoint", "emotion", "pain_category") and v != NONE else v)
            auto_text = ", ".join(name(v) for v in auto.split(", "))
            human_text = ", ".join(name(v) for v in human.split(", "))
            changes.append([TITLES[r.dimension], auto_text, human_text, n])
    if changes:
        lines += ["### Most common corrections", "", table(["Dimension", "Automatic", "Human", "Times"], changes), ""]
    return "\n".join(lines)
