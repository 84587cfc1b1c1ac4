"""Who is the customer? Speaker names tidied and interviewers recognised, for every transcript reader.

Transcripts name the interviewer in many ways: a configured name ("Interviewer",
the researcher's own name), chat-log roles ("User" answering an "AI" or
"Assistant"), or nothing at all. Plain text, WebVTT, SRT, DOCX and
transcripts-in-a-table all share these rules so a speaker is treated the same
whatever file it came from.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from voicemap.domain import Utterance

# Chat logs and AI-moderated interviews: the "user" is the participant, the bot asks.
CHAT_PARTICIPANT_ROLES = {"user", "customer", "client", "human", "participant", "respondent"}
CHAT_INTERVIEWER_ROLES = {"ai", "assistant", "bot", "chatbot", "agent", "interviewer ai", "ai interviewer"}

QUESTION_SHARE_INTERVIEWER = 0.5  # most of the interviewer's turns ask something
QUESTION_SHARE_OTHERS = 0.25


def clean_speaker(name: str) -> str:
    """Collapse whitespace and stray punctuation around a speaker label."""
    return re.sub(r"\s+", " ", name).strip(" \t-–—:")


def unify_speaker_names(utterances: list[Utterance]) -> None:
    """"MARIA", "maria " and "Maria" are one speaker: keep the first spelling seen."""
    first_spelling: dict[str, str] = {}
    for utterance in utterances:
        if not utterance.speaker:
            continue
        name = clean_speaker(utterance.speaker)
        utterance.speaker = first_spelling.setdefault(name.casefold(), name)


def chat_interviewer_roles(speakers: Iterable[str]) -> set[str]:
    """Bot roles count as interviewers only when a participant role ("User") is present too.

    A person called "Ai" in an ordinary interview stays a customer.
    """
    names = {s.casefold() for s in speakers if s}
    if not names & CHAT_PARTICIPANT_ROLES:
        return set()
    return names & CHAT_INTERVIEWER_ROLES


def _question_share(turns: list[Utterance]) -> float:
    return sum("?" in u.text for u in turns) / len(turns) if turns else 0.0


def question_asker(utterances: list[Utterance]) -> str | None:
    """The one speaker whose turns are mostly questions while nobody else's are (the interviewer)."""
    by_speaker: dict[str, list[Utterance]] = {}
    for utterance in utterances:
        if utterance.speaker:
            by_speaker.setdefault(utterance.speaker, []).append(utterance)
    if len(by_speaker) < 2:
        return None
    shares = {name: _question_share(turns) for name, turns in by_speaker.items() if len(turns) >= 2}
    askers = [name for name, share in shares.items() if share >= QUESTION_SHARE_INTERVIEWER]
    if len(askers) != 1:
        return None
    others = [share for name, share in shares.items() if name != askers[0]]
    if not others or max(others) > QUESTION_SHARE_OTHERS:
        return None
    return askers[0]


def mark_interviewers(utterances: list[Utterance], interviewer_names: Iterable[str],
                      guess: bool = True) -> tuple[list[str], str | None]:
    """Set `is_customer` on every turn; return (interviewer speakers, a note when one was guessed).

    Order: configured names, then chat roles, then (if `guess`) the one speaker who
    mostly asks questions. An interviewer found by guessing is reported so the user
    can correct it with --interviewer.
    """
    configured = {clean_speaker(n).casefold() for n in interviewer_names}
    speakers = {u.speaker for u in utterances if u.speaker}
    interviewers = {s for s in speakers if s.casefold() in configured}
    interviewers |= {s for s in speakers if s.casefold() in chat_interviewer_roles(speakers)}
    note = None
    if not interviewers and guess:
        asker = question_asker(utterances)
        if asker:
            interviewers = {asker}
            note = (f"treated '{asker}' as the interviewer (most of their turns are questions); "
                    "name the interviewer with --interviewer if that is wrong")
    for utterance in utterances:
        utterance.is_customer = utterance.speaker not in interviewers
    return sorted(interviewers), note


def recurring_labels(label_lists: list[list[str]], min_share: float = 0.5) -> set[str]:
    """Labels that recur across documents (roles such as "User"/"AI"), not one-off headings."""
    if len(label_lists) <= 1:  # one document: roles are the labels that speak more than once
        return {label for label, count in Counter(label_lists[0] if label_lists else []).items() if count >= 2}
    documents = Counter(label for labels in label_lists for label in set(labels))
    needed = max(2, round(min_share * len(label_lists)))
    return {label for label, count in documents.items() if count >= needed}
