"""What the database can answer to by name: participants, sources, metadata values.

A question may say "P3", "Maria", "the survey" or "families"; these are not codebook
words but rows of the study. Lookups are indexed queries; the metadata vocabulary is
read once from a sample of rows and cached until `refresh()` (after an import).
"""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database

from voicemap.assistant.lexicon import stem_words

PARTICIPANT_CODE = re.compile(r"^([A-Za-z]{1,2})0*(\d{1,6})$")
METADATA_SAMPLE = 20_000
MAX_METADATA_VALUES = 12  # keys with more values (ids, dates, free text) are not vocabulary


class Catalog:
    def __init__(self, db: Database):
        self.db = db
        self._metadata: dict[str, tuple[str, str]] | None = None
        self._kinds: set[str] | None = None

    def refresh(self) -> None:
        self._metadata = None
        self._kinds = None

    def participant(self, token: str) -> dict[str, Any] | None:
        """A participant by label (any case), else by pseudonym number: "P3" finds P03."""
        rows = list(self.db.query(
            "select id, label, pseudonym from participants where label = ? collate nocase order by id limit 1", [token]))
        if rows:
            return rows[0]
        match = PARTICIPANT_CODE.match(token)
        if match and match.group(1).upper() == "P":
            rows = list(self.db.query(
                "select id, label, pseudonym from participants where pseudonym like 'P%' "
                "and cast(substr(pseudonym, 2) as integer) = ? order by id limit 1", [int(match.group(2))]))
            if rows:
                return rows[0]
        return None

    def participant_named(self, word: str) -> dict[str, Any] | None:
        """A participant whose label is exactly this capitalised word ("Maria")."""
        if not word[:1].isupper():
            return None
        rows = list(self.db.query("select id, label, pseudonym from participants where label = ? limit 1", [word]))
        return rows[0] if rows else None

    def some_participants(self, n: int = 2) -> list[dict[str, Any]]:
        """Participants with the most statements, for examples in the help answer."""
        return list(self.db.query(
            "select p.id, p.label, p.pseudonym, count(*) as n from statements s join participants p "
            "on p.id = s.participant_id group by p.id order by n desc, p.id limit ?", [n]))

    def cluster_members(self, cluster: str) -> list[int] | None:
        from voicemap.assistant.clusters import cluster_members

        return cluster_members(self.db, cluster)

    def source(self, token: str) -> dict[str, Any] | None:
        rows = list(self.db.query(
            "select id, name, kind from sources where name = ? collate nocase or path = ? limit 1", [token, token]))
        return rows[0] if rows else None

    def source_kinds(self) -> set[str]:
        if self._kinds is None:
            self._kinds = {r["kind"] for r in self.db.query("select distinct kind from sources")}
        return self._kinds

    def metadata_values(self) -> dict[str, tuple[str, str]]:
        """Stem of a value -> (key, value), for keys with a handful of values (segment, plan)."""
        if self._metadata is None:
            values: dict[str, set[str]] = {}
            # Distinct pairs only, as plain tuples: a sample of 20,000 rows holds 80,000 pairs, mostly repeats.
            rows = self.db.execute(
                "select distinct j.key, j.value from (select metadata from utterances "
                "where metadata is not null and metadata != '{}' limit ?) u, json_each(u.metadata) j",
                [METADATA_SAMPLE])
            for key, value in rows:
                if isinstance(value, str) and value.strip():
                    values.setdefault(key, set()).add(value.strip())
            vocabulary: dict[str, tuple[str, str]] = {}
            for key, found in values.items():
                if len(found) > MAX_METADATA_VALUES:
                    continue
                for value in found:
                    if len(value) < 3 or value.replace(".", "").isdigit() or " " in value:
                        continue
                    vocabulary.setdefault(stem_words([value])[0], (key, value))
            self._metadata = vocabulary
        return self._metadata

    def metadata_examples(self) -> list[tuple[str, list[str]]]:
        """(key, values) pairs a comparison example can use."""
        by_key: dict[str, list[str]] = {}
        for key, value in self.metadata_values().values():
            by_key.setdefault(key, []).append(value)
        return sorted((k, sorted(v)) for k, v in by_key.items() if len(v) >= 2)
