"""The one entry point for tagging: statement texts in, `Tags` out.

Builds the spaCy pipeline (trained model without NER, or the blank fallback) with
voicemap's components on top, and streams statements through `nlp.pipe`. Each
statement is its own Doc, so its tags never depend on what else is in the batch.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

import voicemap.nlp.components  # noqa: F401  (registers the factories)
import voicemap.nlp.cues  # noqa: F401
import voicemap.nlp.pain  # noqa: F401
from voicemap.codebook import Codebook, load_codebook
from voicemap.domain import Tags
from voicemap.nlp import extensions as ext
from voicemap.nlp.actions import actions
from voicemap.nlp.model import ModelInfo, load_language

# Order matters: scores and cues first, then emotions, the pain verdict, and the sentiment that reads it.
# The text model gathers a batch of Docs; cues come after it, so their records live one Doc at a time.
VOICEMAP_PIPES = ("voicemap/vader", "voicemap/text_model", "voicemap/cues", "voicemap/touchpoints",
                  "voicemap/emotions", "voicemap/pain_point", "voicemap/sentiment", "voicemap/stage")
NEEDS_CODEBOOK = ("voicemap/cues", "voicemap/emotions", "voicemap/pain_point", "voicemap/stage")


def build_pipeline(codebook_path: str = "", model: str | None = None, quiet: bool = False,
                   text_model: str | None = None) -> tuple[Language, ModelInfo]:
    """The spaCy pipeline plus voicemap's components; `text_model="none"` tags by cues alone."""
    nlp, info = load_language(model, quiet=quiet)
    for factory in VOICEMAP_PIPES:
        config = {"codebook_path": codebook_path} if factory in NEEDS_CODEBOOK else {}
        if factory == "voicemap/text_model" and text_model is not None:
            config = {"model": text_model}
        nlp.add_pipe(factory, name=factory.replace("/", "_"), config=config)
    return nlp, info


def _content_lemmas(doc: Doc) -> list[str]:
    return [
        (t.lemma_ or t.lower_).lower()
        for t in doc
        if len(t) > 2 and t.is_alpha and not t.is_stop
    ]


def doc_to_tags(doc: Doc) -> Tags:
    def get(name: str):
        return ext.get(doc, name)

    touchpoints, emotions = get("voicemap_touchpoints") or {}, get("voicemap_emotions") or {}
    return Tags(
        stage=get("voicemap_stage"),
        stage_confidence=get("voicemap_stage_confidence"),
        stage_cue=get("voicemap_stage_cue"),
        touchpoints=list(touchpoints),
        touchpoint_cues=dict(touchpoints),
        sentiment=get("voicemap_sentiment"),
        sentiment_score=get("voicemap_sentiment_score"),
        sentiment_cue=get("voicemap_sentiment_cue"),
        emotions=list(emotions),
        emotion_cues=dict(emotions),
        pain=get("voicemap_pain"),
        pain_category=get("voicemap_pain_category"),
        pain_cue=get("voicemap_pain_cue"),
        lemmas=_content_lemmas(doc),
        actions=actions(doc),
    )


class Tagger:
    """A loaded pipeline plus the codebook it was built from."""

    def __init__(self, codebook: Codebook | None = None, model: str | None = None, quiet: bool = False,
                 text_model: str | None = None):
        self.codebook = codebook or load_codebook()
        self.nlp, self.model_info = build_pipeline(self.codebook.path, model, quiet=quiet, text_model=text_model)

    def tag_texts(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Tags]:
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield doc_to_tags(doc)

    def tag(self, text: str) -> Tags:
        return next(self.tag_texts([text]))
