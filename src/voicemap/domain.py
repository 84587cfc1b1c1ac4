"""Plain domain objects shared by every reader, the tagger, the store and the reports.

Readers produce `Source` objects holding `Utterance`s; segmentation turns customer
utterances into `Statement`s. Nothing here knows about SQLite, spaCy or Textual, so
every layer can depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Utterance:
    """One turn of a transcript, one survey answer or one review body.

    `location` is what a quote cites: "line 12", "00:12:03" or "row 17".
    `is_customer` is False for interviewer turns, which are kept as context only.
    """

    text: str
    speaker: str | None = None
    location: str = ""
    line: int | None = None
    timestamp: str | None = None
    row_id: str | None = None
    is_customer: bool = True
    rating: float | None = None
    date: str | None = None
    question: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Source:
    """One imported file (or one logical document inside it) and its utterances."""

    path: str
    kind: str  # "transcript" | "survey" | "reviews" (readers may add more)
    utterances: list[Utterance] = field(default_factory=list)
    title: str | None = None
    encoding: str = "utf-8"
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "row 7: empty answer"


@dataclass
class Statement:
    """A sentence-sized unit of customer speech, the thing that gets tagged.

    `start`/`end` are character offsets of `text` inside the utterance text, so
    exports (REFI-QDA) can point at the exact span.
    """

    text: str
    utterance_index: int
    start: int
    end: int


@dataclass
class Tags:
    """Automatic tags for one statement, with the cue or model that produced each."""

    stage: str | None = None
    stage_confidence: float = 0.0
    stage_cue: str | None = None
    touchpoints: list[str] = field(default_factory=list)
    touchpoint_cues: dict[str, str] = field(default_factory=dict)
    sentiment: str = "neutral"
    sentiment_score: float = 0.0
    sentiment_cue: str | None = None  # what decided the label: VADER alone, or the model + VADER
    emotions: list[str] = field(default_factory=list)
    emotion_cues: dict[str, str] = field(default_factory=dict)
    pain: bool = False
    pain_category: str | None = None
    pain_cue: str | None = None
    lemmas: list[str] = field(default_factory=list)  # content lemmas, for clustering and actions
    actions: list[str] = field(default_factory=list)  # verb lemmas the customer did
