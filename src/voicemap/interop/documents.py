"""Each source as the plain-text document a QDA tool codes, with every statement's exact position.

The document is built from the stored utterances, one per line ("[00:01:02] Maria:
text"), and a statement's position is its stored start/end inside its utterance
plus where that utterance's text begins in the document. Positions are counted in
characters (code points) of exactly the text written to the .qdpx, so
`document[start:end]` is the statement, byte for byte: the mismatch other tools are
known for cannot happen here, and the tests check it for every statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

INTERVIEWER_ALIAS = "Interviewer"


@dataclass
class Segment:
    statement_id: int
    start: int
    end: int


@dataclass
class SourceDocument:
    source_id: int
    name: str
    text: str
    segments: list[Segment] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)  # statements whose text is not in their utterance


def _speaker(row: dict, pseudonymise: bool) -> str:
    if not pseudonymise:
        return row["speaker"] or ""
    if row["is_customer"]:
        return row["pseudonym"] or "Participant"
    return INTERVIEWER_ALIAS


def _prefix(row: dict, pseudonymise: bool) -> str:
    """What precedes the words on a line: where, who, and for survey answers the question."""
    parts = [f"[{row['location']}]"] if row["location"] else []
    who = _speaker(row, pseudonymise)
    if row["question"] and who:
        who = f"{who}, {row['question']}"
    elif row["question"]:
        who = row["question"]
    if who:
        parts.append(f"{who}:")
    return " ".join(parts) + (" " if parts else "")


def build_document(db: Database, source: dict, pseudonymise: bool = False) -> SourceDocument:
    """The text of one source and the character span of each of its statements."""
    name = f"source {source['id']}" if pseudonymise else source["name"]
    utterances = list(db.query(
        "select u.id, u.speaker, u.is_customer, u.text, u.location, u.question, p.pseudonym from utterances u "
        "left join participants p on p.id = u.participant_id where u.source_id = ? order by u.idx", [source["id"]]))
    statements: dict[int, list[dict]] = {}
    for row in db.query("select id, utterance_id, start, end, text from statements where source_id = ? order by idx",
                        [source["id"]]):
        statements.setdefault(row["utterance_id"], []).append(row)
    parts: list[str] = []
    offset = 0
    document = SourceDocument(source["id"], name, "")
    for utterance in utterances:
        prefix = _prefix(utterance, pseudonymise)
        text = utterance["text"] or ""  # verbatim, line breaks included: positions count these characters
        begins = offset + len(prefix)
        for statement in statements.get(utterance["id"], []):
            start, end = statement["start"], statement["end"]
            if start is None or end is None or text[start:end] != statement["text"]:
                found = text.find(statement["text"])
                if found < 0:
                    document.unplaced.append(statement["id"])
                    continue
                start, end = found, found + len(statement["text"])
            document.segments.append(Segment(statement["id"], begins + start, begins + end))
        line = prefix + text + "\n\n"  # a blank line between turns, since a turn may hold line breaks
        parts.append(line)
        offset += len(line)
    document.text = "".join(parts)
    return document
