"""spaCy components that turn cue spans and VADER into the five tag dimensions.

Each is a namespaced factory (`voicemap/sentiment`, `voicemap/touchpoints`,
`voicemap/emotions`, `voicemap/pain_point`, `voicemap/stage`) writing `Doc._.voicemap_*`
extensions, and each records the cue that decided it so tags stay explainable.
They need `voicemap/cues` upstream and say so if it is missing.
"""

from __future__ import annotations

from collections import defaultdict

from spacy.language import Language
from spacy.tokens import Doc, Span
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from voicemap.nlp.cues import PAIN_FAMILIES, SPAN_KEY, cached_codebook, cues

EXTENSIONS = {
    "voicemap_sentiment": "neutral", "voicemap_sentiment_score": 0.0,
    "voicemap_touchpoints": None, "voicemap_emotions": None,
    "voicemap_pain": False, "voicemap_pain_category": None, "voicemap_pain_cue": None,
    "voicemap_stage": None, "voicemap_stage_confidence": 0.0, "voicemap_stage_cue": None,
    "voicemap_cue_of": None,
}
for _name, _default in EXTENSIONS.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)

POSITIVE_EMOTIONS = {"satisfaction", "delight", "excitement", "relief", "trust"}
NEGATIVE_EMOTIONS = {"frustration", "confusion", "anxiety", "disappointment", "skepticism"}


def _require_cues(doc: Doc, component: str) -> None:
    if SPAN_KEY not in doc.spans:
        raise ValueError(f"{component} needs the 'voicemap/cues' component earlier in the pipeline")


def _after_contrast(doc: Doc) -> int | None:
    """Token index where the last contrastive clause starts ("... but it keeps crashing")."""
    markers = [span.start for span in cues(doc, "contrast") if span.start > 0]
    return max(markers) if markers else None


_vader: SentimentIntensityAnalyzer | None = None


def vader() -> SentimentIntensityAnalyzer:
    global _vader
    if _vader is None:
        _vader = SentimentIntensityAnalyzer()
    return _vader


def vader_features(text: str) -> list[float]:
    """VADER's four scores (neg, neu, pos, compound): the dense inputs of the sentiment model."""
    scores = vader().polarity_scores(text)
    return [scores["neg"], scores["neu"], scores["pos"], scores["compound"]]


class Sentiment:
    """VADER compound over the statement; label thresholds follow VADER's authors (±0.05)."""

    def __init__(self, threshold: float):
        self.threshold = threshold

    def __call__(self, doc: Doc) -> Doc:
        score = vader().polarity_scores(doc.text)["compound"]
        doc._.voicemap_sentiment_score = score
        doc._.voicemap_sentiment = label_sentiment(score, self.threshold)
        return doc


def label_sentiment(score: float, threshold: float = 0.05) -> str:
    if score >= threshold:
        return "positive"
    if score <= -threshold:
        return "negative"
    return "neutral"


class Touchpoints:
    """Every touchpoint whose cue appears, negated or not ("no email came" still names email)."""

    def __call__(self, doc: Doc) -> Doc:
        _require_cues(doc, "voicemap/touchpoints")
        found: dict[str, str] = {}
        for span in cues(doc, "touchpoint:"):
            found.setdefault(span.label_.split(":", 1)[1], span.text)
        doc._.voicemap_touchpoints = found
        return doc


class Emotions:
    """Explicit emotion words (respecting negation) first; implicit patterns only if none."""

    def __call__(self, doc: Doc) -> Doc:
        _require_cues(doc, "voicemap/emotions")
        found: dict[str, str] = {}
        for span in cues(doc, "emotion:"):
            emotion = span.label_.split(":", 1)[1]
            if span._.voicemap_negated:
                if emotion in ("satisfaction", "delight", "trust", "excitement"):
                    found.setdefault("disappointment", f"not {span.text}")
                continue
            found.setdefault(emotion, span.text)
        if not found:
            for span in cues(doc, "emotion_implicit:"):
                if not span._.voicemap_negated:
                    found.setdefault(span.label_.split(":", 1)[1], span.text)
        doc._.voicemap_emotions = found
        return doc


class PainPoint:
    """A complaint: a problem cue not negated, a positive negated, or a complaint family.

    The clause after a contrast ("but", "however") carries the verdict, so a problem
    before it and praise after it is not a pain point, and vice versa.
    """

    def __init__(self, codebook_path: str, vader_threshold: float):
        self.codebook = cached_codebook(codebook_path)
        self.vader_threshold = vader_threshold
        self.category_of_touchpoint = {}
        self.category_of_stage = {}
        for category in self.codebook.pain_categories:
            for hint in getattr(category, "related", []) or []:
                self.category_of_touchpoint.setdefault(hint, category.id)

    def _evidence(self, doc: Doc) -> list[tuple[Span, str | None, float]]:
        """(span, category or None, weight) for every cue that says "problem"."""
        evidence = []
        for span in doc.spans[SPAN_KEY]:
            label = span.label_
            negated = span._.voicemap_negated
            if label.startswith("pain_category:") and not negated:
                evidence.append((span, label.split(":", 1)[1], 1.0))
            elif label.startswith("pain_negated:") and negated:
                evidence.append((span, label.split(":", 1)[1], 1.0))
            elif label == "pain:positive_verbs" and negated:
                evidence.append((span, None, 1.0))
            elif label.startswith("pain:") and label.split(":", 1)[1] in PAIN_FAMILIES and not negated:
                evidence.append((span, None, 0.8 if label != "pain:problem_words" else 1.0))
        return evidence

    def _infer_category(self, doc: Doc, evidence: list[tuple[Span, str | None, float]]) -> str | None:
        votes: dict[str, float] = defaultdict(float)
        for span, category, weight in evidence:
            if category:
                votes[category] += weight
        if votes:
            return max(votes, key=votes.get)
        # A generic complaint ("I had to call three times") takes its category from
        # what it is about: the touchpoints and stage words around it.
        for span in cues(doc, "pain_category:"):
            votes[span.label_.split(":", 1)[1]] += 0.5
        for touchpoint in doc._.voicemap_touchpoints or {}:
            category = self.category_of_touchpoint.get(touchpoint)
            if category:
                votes[category] += 0.4
        return max(votes, key=votes.get) if votes else None

    def __call__(self, doc: Doc) -> Doc:
        _require_cues(doc, "voicemap/pain_point")
        evidence = self._evidence(doc)
        pivot = _after_contrast(doc)
        if pivot is not None and evidence:
            after = [e for e in evidence if e[0].start >= pivot]
            if after:
                evidence = after
            else:
                tail = doc[pivot:].text
                if vader().polarity_scores(tail)["compound"] >= 0.3:
                    evidence = []  # "it was late, but they made up for it"
        score = doc._.voicemap_sentiment_score
        if not evidence and score <= self.vader_threshold:
            negative = [s for s in cues(doc, "pain_category:") if not s._.voicemap_negated]
            doc._.voicemap_pain = True
            doc._.voicemap_pain_cue = f"strongly negative tone (VADER {score:.2f})"
            doc._.voicemap_pain_category = self._infer_category(doc, [(s, s.label_.split(":", 1)[1], 1.0) for s in negative])
            return doc
        if not evidence:
            doc._.voicemap_pain = False
            doc._.voicemap_pain_category = None
            doc._.voicemap_pain_cue = None
            return doc
        strongest = max(evidence, key=lambda e: (e[2], len(e[0])))
        doc._.voicemap_pain = True
        doc._.voicemap_pain_cue = ("not " if strongest[0]._.voicemap_negated else "") + strongest[0].text
        doc._.voicemap_pain_category = self._infer_category(doc, evidence)
        return doc


class Stage:
    """One primary stage: cue weight by phrase length, plus touchpoint stage hints."""

    def __init__(self, codebook_path: str):
        self.codebook = cached_codebook(codebook_path)
        self.order = self.codebook.ids("stage")
        self.hint = {t.id: t.stage_hint for t in self.codebook.touchpoints if t.stage_hint}

    def __call__(self, doc: Doc) -> Doc:
        _require_cues(doc, "voicemap/stage")
        scores: dict[str, float] = defaultdict(float)
        best_cue: dict[str, tuple[float, str]] = {}
        for span in cues(doc, "stage:"):
            stage = span.label_.split(":", 1)[1]
            weight = 1.0 + 0.5 * (len(span) - 1)
            scores[stage] += weight
            if weight > best_cue.get(stage, (0, ""))[0]:
                best_cue[stage] = (weight, span.text)
        for touchpoint, text in (doc._.voicemap_touchpoints or {}).items():
            stage = self.hint.get(touchpoint)
            if stage:
                scores[stage] += 0.5
                best_cue.setdefault(stage, (0.5, text))
        if not scores:
            doc._.voicemap_stage, doc._.voicemap_stage_confidence, doc._.voicemap_stage_cue = None, 0.0, None
            return doc
        # Ties go to the later stage: "I cancelled after support failed" is about leaving.
        stage = max(scores, key=lambda s: (scores[s], self.order.index(s) if s in self.order else -1))
        total = sum(scores.values())
        doc._.voicemap_stage = stage
        doc._.voicemap_stage_confidence = round(min(1.0, scores[stage] / total * min(1.0, scores[stage] / 2)), 3)
        doc._.voicemap_stage_cue = best_cue[stage][1]
        return doc


@Language.factory("voicemap/sentiment", assigns=["doc._.voicemap_sentiment", "doc._.voicemap_sentiment_score"],
                  default_config={"threshold": 0.05})
def make_sentiment(nlp: Language, name: str, threshold: float) -> Sentiment:
    return Sentiment(threshold)


@Language.factory("voicemap/touchpoints", assigns=["doc._.voicemap_touchpoints"])
def make_touchpoints(nlp: Language, name: str) -> Touchpoints:
    return Touchpoints()


@Language.factory("voicemap/emotions", assigns=["doc._.voicemap_emotions"])
def make_emotions(nlp: Language, name: str) -> Emotions:
    return Emotions()


@Language.factory("voicemap/pain_point", assigns=["doc._.voicemap_pain", "doc._.voicemap_pain_category"],
                  default_config={"codebook_path": "", "vader_threshold": -0.5})
def make_pain_point(nlp: Language, name: str, codebook_path: str, vader_threshold: float) -> PainPoint:
    return PainPoint(codebook_path, vader_threshold)


@Language.factory("voicemap/stage", assigns=["doc._.voicemap_stage", "doc._.voicemap_stage_confidence"],
                  default_config={"codebook_path": ""})
def make_stage(nlp: Language, name: str, codebook_path: str) -> Stage:
    return Stage(codebook_path)
