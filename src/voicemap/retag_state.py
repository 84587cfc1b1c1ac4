"""What a study's automatic tags were made with, and what a codebook edit changes.

Re-tagging 100,000 statements takes minutes; after adding two cues to one code, only
the statements those cues can match have different tags. So the study records the
*tagging state* its tags were made with: every cue phrase and pattern per label, the
codebook structure the components read (stage order, emotion ids, touchpoint hints
and pain categories), and a digest of everything else that decides a tag (spaCy model,
text model, component settings, voicemap's tagging code). Comparing the record with
the current state says whether nothing, some statements or every statement must be
re-tagged, and why. The record lives in the project's settings table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from voicemap.store.settings import get_setting, set_setting

STATE_FORMAT = 1
RECORD_KEY = "retag.tagged_with"
MAX_STATES = 4  # kept after interrupted runs or imports with another codebook; beyond this, start over
PLURAL = {"stage": "stages", "touchpoint": "touchpoints", "emotion": "emotions", "pain_category": "pain_categories"}
_states: WeakKeyDictionary = WeakKeyDictionary()


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _files_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def tagger_digest(tagger) -> str:
    """Everything besides the codebook that decides a tag: model, components' settings, text model, code."""
    import voicemap.nlp.tagger
    from voicemap.nlp.components import resolve_model_path

    nlp = tagger.nlp
    settings = {name: {k: v for k, v in dict(nlp.config["components"].get(name, {})).items() if k != "codebook_path"}
                for name in nlp.pipe_names if name.startswith("voicemap")}
    text_model = resolve_model_path(str(settings.get("voicemap_text_model", {}).get("model", "")))
    info = tagger.model_info
    return _digest({
        "model": [info.name, info.version, info.trained, list(info.components), info.pipeline],
        "pipes": list(nlp.pipe_names), "settings": settings,
        "text_model": _files_digest(sorted(p for p in text_model.iterdir() if p.is_file())) if text_model else None,
        "code": _files_digest(sorted(Path(voicemap.nlp.tagger.__file__).parent.glob("*.py"))),
        "packages": {name: _version(name) for name in ("spacy", "vaderSentiment")},
    })


def codebook_state(codebook) -> dict[str, Any]:
    """The parts of a codebook the tagging components read, normalised as the cue matcher reads them."""
    from voicemap.nlp.cues import _cue_table

    cues = {label: sorted({p.strip().lower() for p in phrases if p.strip()})
            for label, phrases in _cue_table(codebook).items()}
    patterns = {f"{dimension}:{code.id}": code.patterns for dimension in PLURAL
                for code in codebook.codes(dimension) if code.patterns}
    patterns.update({f"pain:{family}": found for family, found in codebook.pain_patterns.items() if found})
    category_of: dict[str, str] = {}
    for category in codebook.pain_categories:
        for touchpoint in category.related or []:
            category_of.setdefault(touchpoint, category.id)
    return {
        "codes": {dimension: codebook.ids(dimension) for dimension in PLURAL},
        "stage_hints": {t.id: t.stage_hint for t in codebook.touchpoints if t.stage_hint},
        "touchpoint_categories": category_of,
        "cues": {label: phrases for label, phrases in cues.items() if phrases},
        "patterns": {label: sorted({json.dumps(p, sort_keys=True) for p in found})
                     for label, found in patterns.items()},
    }


def tagging_state(tagger) -> dict[str, Any] | None:
    """The tagger's full state (cached per tagger), or None when it is not a voicemap Tagger."""
    try:
        return _states[tagger]
    except (KeyError, TypeError):
        pass
    if not all(hasattr(tagger, name) for name in ("nlp", "codebook", "model_info")):
        return None
    state = {"format": STATE_FORMAT, "tagger": tagger_digest(tagger), **codebook_state(tagger.codebook)}
    try:
        _states[tagger] = state
    except TypeError:
        pass
    return state


@dataclass
class Change:
    """How the current state differs from one the stored tags were made with."""

    everything: str | None = None  # why every statement must be re-tagged
    phrases: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)  # label -> (added, removed)
    patterns: dict[str, tuple[list, list]] = field(default_factory=dict)  # label -> (added, removed), parsed
    touchpoints: set[str] = field(default_factory=set)  # whose stage hint or pain category changed
    removed_codes: dict[str, set[str]] = field(default_factory=dict)  # dimension -> ids no longer in the codebook
    parts: list[str] = field(default_factory=list)  # what changed, for the user

    def __bool__(self) -> bool:
        return bool(self.everything or self.phrases or self.patterns or self.touchpoints or self.removed_codes)


def _stage_order_problem(old: list[str], new: list[str]) -> str | None:
    from voicemap.nlp.components import PAIN_CATEGORY_STAGE

    kept = [s for s in new if s in old]
    if kept != [s for s in old if s in new]:
        return "the order of the stages (ties go to the later stage)"
    fallbacks = set(PAIN_CATEGORY_STAGE.values())
    if fallbacks & set(old) != fallbacks & set(new):
        return f"stages {', '.join(sorted(fallbacks & (set(old) ^ set(new))))} (complaints fall back on them)"
    return None


def label_name(label: str) -> str:
    """How the user wrote it: "touchpoint:app" -> "touchpoints.app", "pain:waiting" -> "pain.waiting"."""
    kind, _, name = label.partition(":")
    if kind in PLURAL:
        return f"{PLURAL[kind]}.{name}"
    return {"emotion_implicit": f"{name} (implicit cues)", "pain_negated": f"{name} (negated cues)",
            "pain": f"pain.{name}", "contrast": "pain.contrast", "hedge": "pain.hedges"}.get(kind, label)


def _counted(added: int, removed: int, noun: str) -> str:
    words = [f"{added} {noun}{'s' if added != 1 else ''} added"] if added else []
    if removed:
        words.append(f"{removed} removed" if words else f"{removed} {noun}{'s' if removed != 1 else ''} removed")
    return ", ".join(words)


def compare(old: dict[str, Any], new: dict[str, Any]) -> Change:
    """What changed from `old` to `new`; `everything` is set when no statement can be ruled out."""
    change = Change()
    if old.get("format") != new.get("format"):
        change.everything = "the record of the earlier tagging is from another voicemap version"
        return change
    if old["tagger"] != new["tagger"]:
        change.everything = ("the tagger changed (spaCy model, text model, component settings "
                             "or voicemap's tagging code)")
        return change
    if set(old["codes"]["emotion"]) != set(new["codes"]["emotion"]):
        change.everything = "codebook changed: emotion codes added or removed (the text model may suggest any)"
        return change
    problem = _stage_order_problem(old["codes"]["stage"], new["codes"]["stage"])
    if problem:
        change.everything = f"codebook changed: {problem}"
        return change
    for dimension, ids in old["codes"].items():
        removed = set(ids) - set(new["codes"].get(dimension, []))
        if removed:
            change.removed_codes[dimension] = removed
            change.parts += [f"{PLURAL[dimension]}.{code} (removed)" for code in sorted(removed)]
    for key, what in (("stage_hints", "stage hint"), ("touchpoint_categories", "pain category")):
        before, after = old[key], new[key]
        for touchpoint in sorted(set(before) | set(after)):
            if before.get(touchpoint) != after.get(touchpoint):
                change.touchpoints.add(touchpoint)
                if touchpoint not in change.removed_codes.get("touchpoint", ()):
                    change.parts.append(f"touchpoints.{touchpoint} ({what})")
    parts: dict[str, list[str]] = {}
    for label in sorted(set(old["cues"]) | set(new["cues"])):
        before, after = set(old["cues"].get(label, [])), set(new["cues"].get(label, []))
        if before != after:
            change.phrases[label] = (after - before, before - after)
            parts.setdefault(label, []).append(_counted(len(after - before), len(before - after), "cue"))
    for label in sorted(set(old["patterns"]) | set(new["patterns"])):
        before, after = set(old["patterns"].get(label, [])), set(new["patterns"].get(label, []))
        if before != after:
            change.patterns[label] = ([json.loads(p) for p in sorted(after - before)],
                                      [json.loads(p) for p in sorted(before - after)])
            parts.setdefault(label, []).append(_counted(len(after - before), len(before - after), "pattern"))
    gone = {f"{dimension}:{code}" for dimension, codes in change.removed_codes.items() for code in codes}
    change.parts += [f"{label_name(label)} ({'; '.join(counts)})" for label, counts in parts.items()
                     if label not in gone]
    return change


def describe(parts: list[str], limit: int = 4) -> str:
    """"touchpoints.app (2 cues added), pain.waiting (1 cue removed) and 3 more"."""
    unique = list(dict.fromkeys(parts))
    if len(unique) <= limit:
        return ", ".join(unique)
    return f"{', '.join(unique[:limit])} and {len(unique) - limit} more"


# --- the record in the study ----------------------------------------------------------------
@dataclass
class Record:
    """States the study's automatic tags were made with (any of them), and the sources that covers."""

    states: list[dict[str, Any]]
    sources: dict[str, str]  # source id -> its import time and file hash: a re-imported or new source is not covered

    def covers(self, source_id: str, version: str) -> bool:
        return self.sources.get(source_id) == version


def load_record(db) -> Record | None:
    text = get_setting(db, RECORD_KEY)
    if not text:
        return None
    try:
        data = json.loads(text)
        states = [s for s in data["states"] if isinstance(s, dict) and s.get("format") == STATE_FORMAT]
        return Record(states, {str(k): str(v) for k, v in data["sources"].items()}) if states else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # unreadable: as if there were none (everything is re-tagged)


def save_record(db, states: list[dict[str, Any]], sources: dict[str, str]) -> None:
    unique: list[dict[str, Any]] = []
    for state in states:
        if state not in unique:
            unique.append(state)
    if not unique or len(unique) > MAX_STATES:
        set_setting(db, RECORD_KEY, None)  # no record: the next re-tag re-tags every statement
        return
    set_setting(db, RECORD_KEY, json.dumps({"states": unique, "sources": sources}, separators=(",", ":")))


def source_snapshot(db) -> dict[str, str]:
    """Each source's id -> when it was imported and its file's hash (ids can be reused after a removal)."""
    return {str(source_id): f"{imported_at or ''}|{sha256 or ''}" for source_id, imported_at, sha256 in
            db.execute("select id, imported_at, sha256 from sources").fetchall()}
