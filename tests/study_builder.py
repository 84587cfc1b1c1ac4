"""Build a small tagged study by hand (no spaCy): tests state exactly which codes exist.

Used by the assistant, agreement and app tests; each item becomes one utterance with
one statement, saved through the real store (`save_source`), so every query runs on
the production schema.
"""

from __future__ import annotations

from itertools import groupby

from voicemap.domain import Source, Statement, Tags, Utterance
from voicemap.store.write import TaggedStatement, save_source


def build_study(db, items: list[dict]) -> list[int]:
    """Save items grouped by source; returns the statement ids in item order."""
    ids = []
    keyed = sorted(enumerate(items), key=lambda pair: pair[1].get("source", "study.csv"))
    for name, group in groupby(keyed, key=lambda pair: pair[1].get("source", "study.csv")):
        group = list(group)
        kind = group[0][1].get("kind", "survey")
        source = Source(path=f"/data/{name}", kind=kind)
        tagged = []
        for row_number, (_, item) in enumerate(group, start=1):
            text = item["text"]
            source.utterances.append(Utterance(
                text=text, speaker=item.get("speaker"), location=item.get("location", f"row {row_number}"),
                row_id=str(row_number), is_customer=item.get("is_customer", True),
                metadata=item.get("metadata", {})))
            if not item.get("is_customer", True):
                tagged.append([])
                continue
            tags = Tags(stage=item.get("stage"), stage_confidence=0.9 if item.get("stage") else 0.0,
                        touchpoints=list(item.get("touchpoints", [])), emotions=list(item.get("emotions", [])),
                        sentiment=item.get("sentiment", "neutral"), sentiment_score=item.get("score", 0.0),
                        pain=item.get("pain", False), pain_category=item.get("category"),
                        lemmas=[w.lower() for w in text.split() if len(w) > 3])
            tagged.append([TaggedStatement(Statement(text, row_number - 1, 0, len(text)), tags)])
        with db.atomic():
            save_source(db, source, tagged, sha256=f"sha-{name}", import_id=None)
    by_text = {r["text"]: r["id"] for r in db.query("select id, text from statements")}
    for item in items:
        if item.get("is_customer", True):
            ids.append(by_text[item["text"]])
    return ids
