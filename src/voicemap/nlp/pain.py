"""The `voicemap/pain_point` component: is this statement a complaint, and about what?

A complaint is "a negative mismatch between reality and expectations"
(Preoţiuc-Pietro et al., ACL 2019): it often has no negative word at all ("my order
was due Tuesday"). So evidence is collected and weighed rather than read off one
score. A problem cue, a negated positive ("doesn't work") or a problem word counts
fully; a complaint family (inability, expectation, forced effort, waiting,
consequence) or a negative tone counts partly, and two partial signals make a pain
point. Contrast decides which clause carries the verdict; positive idioms ("can't
wait") and wishes ("it would be nice if") are not complaints.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from voicemap.nlp import extensions as ext
from voicemap.nlp.components import require_cues, vader
from voicemap.nlp.cue_list import Cue, CueList, cues
from voicemap.nlp.cues import cached_codebook

# Weight of one cue of each complaint family; a statement is a pain point at 1.0.
FAMILY_WEIGHTS = {"problem_words": 1.0, "inability": 1.0, "waiting": 1.0, "consequence": 0.8,
                  "expectation": 0.8, "forced_effort": 0.6, "problem_states": 1.0, "help_requests": 0.5}
NEGATIVE_EMOTION_WEIGHT = 1.0  # an explicit "frustrated", "disappointed"
TONE_WEIGHT = 0.5  # the model or VADER reads the statement as clearly negative
WEAK_WHEN_WISHING = 0.5  # partial evidence inside a wish or hypothetical counts half
PAIN_AT = 1.0
PRODUCT_CATEGORIES = ("quality", "reliability")


@dataclass
class Evidence:
    span: Cue | None
    category: str | None
    weight: float
    text: str


def _overlaps(span: Cue, blockers: list[Cue]) -> bool:
    return any(span.start < b.end and b.start < span.end for b in blockers)


def after_contrast(doc: Doc) -> int | None:
    """Token index where the last contrastive clause starts ("... but it keeps crashing")."""
    markers = [span.start for span in cues(doc, "contrast") if span.start > 0]
    return max(markers) if markers else None


class PainPoint:
    """Weighs complaint evidence into pain yes/no, a category and the cue that decided it."""

    def __init__(self, codebook_path: str, tone_negative: float, vader_negative: float):
        self.codebook = cached_codebook(codebook_path)
        self.tone_negative = tone_negative
        self.vader_negative = vader_negative
        self.category_of_touchpoint: dict[str, str] = {}
        for category in self.codebook.pain_categories:
            for hint in category.related or []:
                self.category_of_touchpoint.setdefault(hint, category.id)
        self.known_categories = set(self.codebook.ids("pain_category"))

    def _cue_evidence(self, found_cues: CueList) -> list[Evidence]:
        blockers = found_cues.prefixed("pain:positive_idioms")
        evidence = []
        for span in found_cues.all:
            label = span.label_
            if not label.startswith(("pain_category:", "pain_negated:", "pain:")) or _overlaps(span, blockers):
                continue
            kind, _, name = label.partition(":")
            negated = span.negated
            if kind == "pain_category" and not negated:
                evidence.append(Evidence(span, name, 1.0, span.text))
            elif kind == "pain_negated" and negated:
                evidence.append(Evidence(span, name, 1.0, f"not {span.text}"))
            elif name in ("positive_verbs", "positive_words") and negated:
                evidence.append(Evidence(span, None, 1.0, f"not {span.text}"))
            elif name in FAMILY_WEIGHTS and not negated:
                evidence.append(Evidence(span, None, FAMILY_WEIGHTS[name], span.text))
        return evidence

    def _tone_evidence(self, doc: Doc) -> list[Evidence]:
        evidence = []
        for emotion, cue in (ext.get(doc, "voicemap_emotions") or {}).items():
            if emotion in ("frustration", "disappointment") and not cue.startswith("model "):
                evidence.append(Evidence(None, None, NEGATIVE_EMOTION_WEIGHT, cue))
        negative = ((ext.get(doc, "voicemap_model_probs") or {}).get("sentiment") or {}).get("negative")
        compound = ext.get(doc, "voicemap_sentiment_score")
        if negative is not None and negative >= self.tone_negative:
            evidence.append(Evidence(None, None, TONE_WEIGHT, f"negative tone (model p={negative:.2f})"))
        elif compound <= self.vader_negative:
            evidence.append(Evidence(None, None, TONE_WEIGHT, f"negative tone (VADER {compound:.2f})"))
        return evidence

    def _apply_contrast(self, doc: Doc, evidence: list[Evidence]) -> list[Evidence]:
        """The clause after the last "but"/"however" carries the verdict."""
        pivot = after_contrast(doc)
        if pivot is None:
            return evidence
        located = [e for e in evidence if e.span is not None]
        after = [e for e in located if e.span.start >= pivot]
        if after:
            return after + [e for e in evidence if e.span is None]
        if located and vader().polarity_scores(doc[pivot:].text)["compound"] >= 0.3:
            return []  # "it was late, but they made up for it"
        return evidence

    def _category(self, doc: Doc, evidence: list[Evidence]) -> str | None:
        votes: dict[str, float] = defaultdict(float)
        for item in evidence:
            if item.category in self.known_categories:
                votes[item.category] += item.weight
        if votes:
            return max(votes, key=votes.get)
        # A generic complaint ("I had to call three times") takes its category from what it
        # is about: category words around it, then its touchpoints.
        for span in cues(doc, "pain_category:"):
            votes[span.label_.split(":", 1)[1]] += 0.5
        for touchpoint in ext.get(doc, "voicemap_touchpoints") or {}:
            category = self.category_of_touchpoint.get(touchpoint)
            if category:
                votes[category] += 0.4
        return max(votes, key=votes.get) if votes else None

    def __call__(self, doc: Doc) -> Doc:
        found_cues = require_cues(doc, "voicemap/pain_point")
        evidence = self._apply_contrast(doc, self._cue_evidence(found_cues) + self._tone_evidence(doc))
        if found_cues.prefixed("pain:wishes"):
            evidence = [Evidence(e.span, e.category, e.weight * (WEAK_WHEN_WISHING if e.weight < 1 else 1), e.text)
                        for e in evidence]
        total = sum(e.weight for e in evidence)
        if total < PAIN_AT:
            for name in ("voicemap_pain_category", "voicemap_pain_cue"):
                ext.put(doc, name, None)
            ext.put(doc, "voicemap_pain", False)
            return doc
        strongest = max(evidence, key=lambda e: (e.weight, e.span is not None, len(e.text)))
        ext.put(doc, "voicemap_pain", True)
        ext.put(doc, "voicemap_pain_cue", strongest.text)
        category = self._category(doc, evidence)
        ext.put(doc, "voicemap_pain_category", category)
        touchpoints = ext.get(doc, "voicemap_touchpoints")
        if touchpoints is not None and not touchpoints and category in PRODUCT_CATEGORIES:
            touchpoints["product"] = f"{category} problem"  # "it freezes": the product
        return doc


@Language.factory("voicemap/pain_point", assigns=["doc._.voicemap_pain", "doc._.voicemap_pain_category"],
                  default_config={"codebook_path": "", "tone_negative": 0.75, "vader_negative": -0.5})
def make_pain_point(nlp: Language, name: str, codebook_path: str, tone_negative: float,
                    vader_negative: float) -> PainPoint:
    return PainPoint(codebook_path, tone_negative, vader_negative)
