"""spaCy components that turn codebook cues, VADER and the shipped text model into tag dimensions.

Each is a namespaced factory (`voicemap/vader`, `voicemap/text_model`,
`voicemap/touchpoints`, `voicemap/emotions`, `voicemap/pain_point` (in `pain.py`),
`voicemap/sentiment`, `voicemap/stage`) writing `Doc._.voicemap_*` extensions, and each
records the cue or model that decided it so tags stay explainable. They need
`voicemap/cues` upstream and say so if it is missing. The text model is optional: when
its files are absent every dimension still works from the codebook cues alone.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from voicemap.nlp import extensions as ext
from voicemap.nlp.cue_list import Cue, CueList, cue_list, release_cues
from voicemap.nlp.cues import cached_codebook
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

EXTENSIONS = {
    "voicemap_sentiment": "neutral", "voicemap_sentiment_score": 0.0, "voicemap_vader": None,
    "voicemap_model_probs": None, "voicemap_sentiment_cue": None,
    "voicemap_touchpoints": None, "voicemap_emotions": None,
    "voicemap_pain": False, "voicemap_pain_category": None, "voicemap_pain_cue": None,
    "voicemap_stage": None, "voicemap_stage_confidence": 0.0, "voicemap_stage_cue": None,
    "voicemap_cue_of": None,
}
for _name, _default in EXTENSIONS.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)

POSITIVE_EMOTIONS = frozenset({"satisfaction", "delight", "excitement", "relief", "trust"})
NEGATIVE_EMOTIONS = frozenset({"frustration", "confusion", "anxiety", "disappointment", "skepticism"})
DEFAULT_MODEL = "goemotions_linear"
# A complaint without any stage word still says where it happened: failing help is support,
# a failing product is usage. Weaker than one stage cue.
PAIN_CATEGORY_STAGE = {"support": "support", "reliability": "usage", "quality": "usage", "usability": "usage"}
PAIN_STAGE_WEIGHT = 0.5
BARE_NO_ANSWERS = frozenset({
    "no", "nothing", "none", "nope", "nil", "n/a", "na", "not really", "nothing really", "nothing at all",
    "no comment", "no comments", "nothing to add", "nothing to improve", "nothing else", "no thanks",
    "nothing thanks", "nothing thank you", "no thank you", "nothing to say", "none really", "no improvements",
    "nothing i can think", "cannot think of anything", "ca n't think of anything", "not that i know",
})
NO_MODEL = "none"


def require_cues(doc: Doc, component: str) -> CueList:
    """The Doc's cues, or an error naming the component when `voicemap/cues` did not run."""
    return cue_list(doc, component)


_vader: SentimentIntensityAnalyzer | None = None


def vader() -> SentimentIntensityAnalyzer:
    """One VADER for the process: its lexicon takes a moment to load."""
    global _vader
    if _vader is None:
        _vader = SentimentIntensityAnalyzer()
    return _vader


def vader_features(text: str) -> list[float]:
    """VADER's four scores (neg, neu, pos, compound): the dense inputs of the sentiment model."""
    scores = vader().polarity_scores(text)
    return [scores["neg"], scores["neu"], scores["pos"], scores["compound"]]


def label_sentiment(score: float, threshold: float = 0.05) -> str:
    """VADER's own thresholds, used when no text model is installed."""
    if score >= threshold:
        return "positive"
    if score <= -threshold:
        return "negative"
    return "neutral"


class Vader:
    """VADER over the statement: the score exports show and an input to every later decision."""

    def __call__(self, doc: Doc) -> Doc:
        scores = vader_features(doc.text)
        ext.put(doc, "voicemap_vader", scores)
        ext.put(doc, "voicemap_sentiment_score", scores[3])
        return doc


@lru_cache(maxsize=4)
def load_text_model(path: str):
    from voicemap.nlp.text_model import LinearTextModel

    return LinearTextModel(path)


def resolve_model_path(model: str) -> Path | None:
    """The text model folder: a path, a name under models/, or None when disabled or absent."""
    from voicemap.settings import models_dir

    if model == NO_MODEL:
        return None
    path = Path(model) if model and Path(model).is_dir() else models_dir() / (model or DEFAULT_MODEL)
    return path if (path / "meta.json").is_file() else None


class TextModel:
    """Emotion and sentiment probabilities from the shipped linear model, a batch at a time."""

    def __init__(self, model: str, batch_size: int = 256):
        path = resolve_model_path(model)
        self.model = load_text_model(str(path)) if path else None
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            if self.model is not None:
                self._predict(batch)
            yield from batch

    def _predict(self, batch: list[Doc]) -> None:
        dense = np.asarray([ext.get(doc, "voicemap_vader") or vader_features(doc.text) for doc in batch],
                           dtype=np.float32)
        probabilities = self.model.predict([[t.text for t in doc] for doc in batch], dense)
        thresholds = {name: dict(zip(head.labels, map(float, head.thresholds)))
                      for name, head in self.model.heads.items() if head.thresholds is not None}
        rows = {head: (self.model.heads[head].labels, probs.tolist()) for head, probs in probabilities.items()}
        for row, doc in enumerate(batch):
            ext.put(doc, "voicemap_model_probs", {
                "name": self.model.name, "thresholds": thresholds,
                **{head: dict(zip(labels, probs[row])) for head, (labels, probs) in rows.items()}})


class Touchpoints:
    """Every touchpoint whose cue appears, negated or not ("no email came" still names email)."""

    def __call__(self, doc: Doc) -> Doc:
        found: dict[str, str] = {}
        for cue in require_cues(doc, "voicemap/touchpoints").prefixed("touchpoint:"):
            if cue.code not in found:
                found[cue.code] = cue.text
        ext.put(doc, "voicemap_touchpoints", found)
        return doc


class Emotions:
    """Explicit emotion words (respecting negation), then the model; implicit patterns only if neither.

    The model may only add an emotion of the same polarity as the explicit words, so
    "I'm furious" never also becomes "satisfaction" because it thanks someone; it needs
    its tuned threshold plus `model_margin` (feedback is not Reddit), and it does not read
    a bare question as confusion. Praise inside a wish ("it would be great if") is not
    praise, and a one-word "Great." after a complaint is sarcasm: frustration.
    """

    def __init__(self, codebook_path: str, use_implicit: bool, model_margin: float):
        self.codebook = cached_codebook(codebook_path)
        self.known = set(self.codebook.ids("emotion"))
        self.use_implicit = use_implicit
        self.model_margin = model_margin

    def _explicit(self, doc: Doc, found_cues: CueList) -> tuple[dict[str, str], str | None]:
        found: dict[str, str] = {}
        negated_positive = None
        wishes = found_cues.prefixed("pain:wishes")
        for cue in found_cues.prefixed("emotion:"):
            emotion = cue.code
            if cue.negated:
                if emotion in ("satisfaction", "delight") and negated_positive is None:
                    negated_positive = f"not {cue.text}"
                continue
            if emotion in POSITIVE_EMOTIONS and any(w.start <= cue.start < w.end + 2 for w in wishes):
                continue
            if emotion in POSITIVE_EMOTIONS and _sarcastic(doc, cue, found_cues) and "frustration" in self.known:
                if "frustration" not in found:
                    found["frustration"] = f"sarcastic \"{cue.text}\""
                continue
            if emotion not in found:
                found[emotion] = cue.text
        return found, negated_positive

    def _from_model(self, doc: Doc, found: dict[str, str], found_cues: CueList) -> None:
        polarities = {e in POSITIVE_EMOTIONS for e in found}
        if found_cues.prefixed("pain:positive_idioms"):
            polarities.add(True)  # "could not fault them": praise, whatever the words' tone
        model = ext.get(doc, "voicemap_model_probs") or {}
        thresholds = model.get("thresholds", {}).get("emotion", {})
        question = None
        for emotion, probability in (model.get("emotion") or {}).items():
            threshold = thresholds.get(emotion)
            if emotion not in self.known or threshold is None or emotion in found:
                continue
            if probability < threshold + self.model_margin:
                continue
            if emotion == "confusion":
                question = doc.text.rstrip().endswith("?") if question is None else question
                if question:
                    continue
            if polarities and (emotion in POSITIVE_EMOTIONS) not in polarities:
                continue
            if True in polarities and emotion not in POSITIVE_EMOTIONS:
                continue
            found[emotion] = f"model {model['name']} p={probability:.2f}"

    def __call__(self, doc: Doc) -> Doc:
        found_cues = require_cues(doc, "voicemap/emotions")
        found, negated_positive = self._explicit(doc, found_cues)
        self._from_model(doc, found, found_cues)
        if not found and negated_positive and "disappointment" in self.known:
            found["disappointment"] = negated_positive
        if not found and self.use_implicit:
            for cue in found_cues.prefixed("emotion_implicit:"):
                if not cue.negated and cue.code not in found:
                    found[cue.code] = cue.text
        ext.put(doc, "voicemap_emotions", found)
        return doc


def _sarcastic(doc: Doc, cue: Cue, found_cues: CueList) -> bool:
    """A praise word standing alone as the last sentence of a complaint: "... nine hours. Brilliant."."""
    if cue.start <= 3 or len(doc) - cue.end > 3:
        return False
    if not all(t.is_punct for t in doc[cue.end:]) or doc[cue.start - 1].text not in (".", "!", "?", "…", "..."):
        return False
    return bool(found_cues.prefixed("pain:") or found_cues.prefixed("pain_category:")) and cue.start - 1 > 3


class Sentiment:
    """negative / neutral / positive / mixed from the model (or VADER), the pain verdict and emotions.

    VADER scores "cancel", "refund" or "on hold" as 0, so a pain point is never left
    neutral; praise around a complaint makes it mixed only when both sides are strong.
    The small biases and weights were chosen on dev slices (airline, ABSA train, the
    hand-labelled set), never on a reported test split.
    """

    BIAS = {"negative": 0.15, "neutral": -0.15, "positive": -0.05}
    EMOTION_WEIGHT = 0.2
    VADER_WEIGHT = 0.2
    NEGATED_PROBLEM_WEIGHT = 0.3

    def __init__(self, threshold: float, mixed_positive: float):
        self.threshold = threshold
        self.mixed_positive = mixed_positive

    def __call__(self, doc: Doc) -> Doc:
        model = ext.get(doc, "voicemap_model_probs") or {}
        probs = model.get("sentiment")
        compound = ext.get(doc, "voicemap_sentiment_score")
        emotions = ext.get(doc, "voicemap_emotions") or {}
        pain = ext.get(doc, "voicemap_pain")
        if probs:
            scores = {label: probs[label] + self.BIAS[label] for label in self.BIAS}
            scores["negative"] += self.VADER_WEIGHT * max(0.0, -compound)
            scores["positive"] += self.VADER_WEIGHT * max(0.0, compound)
            scores["neutral"] -= self.VADER_WEIGHT * abs(compound)
            cue = f"model {model['name']} + VADER {compound:+.2f}"
        else:
            label = label_sentiment(compound, self.threshold)
            scores = {"negative": 0.0, "neutral": 0.0, "positive": 0.0, label: 0.6}
            cue = f"VADER compound {compound:+.3f}"
        positive_emotions = sum(e in POSITIVE_EMOTIONS for e in emotions)
        negative_emotions = sum(e in NEGATIVE_EMOTIONS for e in emotions)
        if not pain and _negated_problem(require_cues(doc, "voicemap/sentiment")):
            # "not confusing at all", "never had an issue": a problem denied reads as praise
            scores["negative"] -= self.NEGATED_PROBLEM_WEIGHT
            scores["positive"] += self.NEGATED_PROBLEM_WEIGHT
        scores["positive"] += self.EMOTION_WEIGHT * positive_emotions
        scores["negative"] += self.EMOTION_WEIGHT * negative_emotions
        if not pain and is_bare_no(doc):
            scores = {"negative": 0.0, "neutral": 1.0, "positive": 0.0}
            cue = "a bare 'no' / 'nothing' answer"
        if pain:
            positive = scores["positive"]
            label = "mixed" if positive >= self.mixed_positive and positive_emotions else "negative"
            cue += "; pain point"
        else:
            label = max(scores, key=scores.get)
        ext.put(doc, "voicemap_sentiment", label)
        ext.put(doc, "voicemap_sentiment_cue", cue)
        return doc


def _negated_problem(found_cues: CueList) -> bool:
    """A problem denied: "not confusing", "never had an issue", "could not fault the care"."""
    if found_cues.prefixed("pain:positive_idioms"):
        return True
    problems = found_cues.prefixed("pain_category:") + found_cues.prefixed("pain:problem_words")
    problems += [c for c in found_cues.prefixed("emotion:") if c.code in NEGATIVE_EMOTIONS]
    return any(cue.negated for cue in problems)


def is_bare_no(doc: Doc) -> bool:
    """An answer that is only "No." or "Nothing really" (to "what could we improve?"): neutral, not a complaint."""
    words = []
    for token in doc:
        if not token.is_punct and not token.is_space:
            if len(words) == 4:
                return False  # a fifth word: more than a bare answer
            words.append(token.lower_)
    return 0 < len(words) and " ".join(words) in BARE_NO_ANSWERS


class Stage:
    """One primary stage: cue weight by phrase length, plus touchpoint stage hints.

    The last component to read the cues, so it releases their records (see `release_cues`).
    """

    def __init__(self, codebook_path: str, hint_weight: float):
        self.codebook = cached_codebook(codebook_path)
        self.hint_weight = hint_weight
        self.order = self.codebook.ids("stage")
        self.hint = {t.id: t.stage_hint for t in self.codebook.touchpoints if t.stage_hint}

    def __call__(self, doc: Doc) -> Doc:
        scores: dict[str, float] = defaultdict(float)
        best_cue: dict[str, tuple[float, Cue | str]] = {}
        stage_cues = require_cues(doc, "voicemap/stage").prefixed("stage:")
        release_cues(doc)
        for cue in stage_cues:
            stage = cue.code
            weight = 1.0 + 0.5 * (len(cue) - 1)
            scores[stage] += weight
            if weight > best_cue.get(stage, (0, ""))[0]:
                best_cue[stage] = (weight, cue)
        fallback = PAIN_CATEGORY_STAGE.get(ext.get(doc, "voicemap_pain_category") or "")
        if ext.get(doc, "voicemap_pain") and fallback in self.order:
            scores[fallback] += PAIN_STAGE_WEIGHT  # "the staff were rude" is about support
            best_cue.setdefault(fallback, (PAIN_STAGE_WEIGHT, ext.get(doc, "voicemap_pain_cue") or ""))
        for touchpoint, text in (ext.get(doc, "voicemap_touchpoints") or {}).items():
            stage = self.hint.get(touchpoint)
            if stage and self.hint_weight:
                scores[stage] += self.hint_weight
                best_cue.setdefault(stage, (self.hint_weight, text))
        if not scores:
            for name, value in (("voicemap_stage", None), ("voicemap_stage_confidence", 0.0),
                                ("voicemap_stage_cue", None)):
                ext.put(doc, name, value)
            return doc
        # Ties go to the later stage: "I cancelled after support failed" is about leaving.
        stage = max(scores, key=lambda s: (scores[s], self.order.index(s) if s in self.order else -1))
        total = sum(scores.values())
        ext.put(doc, "voicemap_stage", stage)
        confidence = round(min(1.0, scores[stage] / total * min(1.0, scores[stage] / 2)), 3)
        ext.put(doc, "voicemap_stage_confidence", confidence)
        cue = best_cue[stage][1]
        ext.put(doc, "voicemap_stage_cue", cue.text if isinstance(cue, Cue) else cue)
        return doc


@Language.factory("voicemap/vader", assigns=["doc._.voicemap_vader", "doc._.voicemap_sentiment_score"])
def make_vader(nlp: Language, name: str) -> Vader:
    return Vader()


@Language.factory("voicemap/text_model", assigns=["doc._.voicemap_model_probs"],
                  default_config={"model": DEFAULT_MODEL, "batch_size": 256})
def make_text_model(nlp: Language, name: str, model: str, batch_size: int) -> TextModel:
    return TextModel(model, batch_size)


@Language.factory("voicemap/sentiment", assigns=["doc._.voicemap_sentiment"],
                  default_config={"threshold": 0.05, "mixed_positive": 0.45})
def make_sentiment(nlp: Language, name: str, threshold: float, mixed_positive: float) -> Sentiment:
    return Sentiment(threshold, mixed_positive)


@Language.factory("voicemap/touchpoints", assigns=["doc._.voicemap_touchpoints"])
def make_touchpoints(nlp: Language, name: str) -> Touchpoints:
    return Touchpoints()


@Language.factory("voicemap/emotions", assigns=["doc._.voicemap_emotions"],
                  default_config={"codebook_path": "", "use_implicit": False, "model_margin": 0.05})
def make_emotions(nlp: Language, name: str, codebook_path: str, use_implicit: bool, model_margin: float) -> Emotions:
    return Emotions(codebook_path, use_implicit, model_margin)


@Language.factory("voicemap/stage", assigns=["doc._.voicemap_stage", "doc._.voicemap_stage_confidence"],
                  default_config={"codebook_path": "", "hint_weight": 0.25})
def make_stage(nlp: Language, name: str, codebook_path: str, hint_weight: float) -> Stage:
    return Stage(codebook_path, hint_weight)
