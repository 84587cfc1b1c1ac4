"""A typed question -> an intent (what kind of answer) and a scope (which statements).

Rules, not a language model: the question's words are stemmed and matched against the
codebook (labels beat cue phrases, which act as synonyms), the study's participants,
sources and metadata values, and a few framing words ("how many", "compare", "top
issues"). Whatever is left is full-text search. Every match is recorded, so the answer
can say how the question was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from voicemap.assistant.actions import Action, parse_action
from voicemap.assistant.catalog import PARTICIPANT_CODE, Catalog
from voicemap.assistant.lexicon import STOP_WORDS, Lexicon, choose_term, stem_words, words_of
from voicemap.store.query import StatementFilter, code_list_clause

CODE_FIELDS = {"stage": "stage", "touchpoint": "touchpoints", "emotion": "emotions", "pain_category": "pain_category"}
FRAME = """show give list find quote quotes statement statements say says tell talk mention mentions mentioned
person customer customers user users participant participants respondent respondents someone anyone everyone
think feel feels opinion opinions view views experience experiences regarding around please me
compare versus vs difference differences between many much number count often times
top main biggest key common recurring frequent point points thing things stuff example examples
reason reasons cause causes happen happens
""".split()
PAIN_WORDS = """pain pains painpoint painpoints problem problems issue issues complaint complaints complain
complaining struggle struggles difficulty difficulties friction obstacle obstacles gripe gripes trouble wrong
""".split()
SENTIMENT_WORDS = {
    "negative": "negative negatively dislike dislikes hate hates bad unhappy".split(),
    "positive": "positive positively praise praises good great happy love loves enjoy enjoys appreciate "
                "appreciates like likes".split(),
    "neutral": ["neutral"],
    "mixed": ["mixed"],
}
LIKE_SUBJECTS = {"people", "customers", "users", "they", "you", "we", "i", "do", "really", "most", "participants",
                 "respondents", "reviewers", "folks"}
SOURCE_KIND_WORDS = {"interview": "transcript", "interviews": "transcript", "transcript": "transcript",
                     "transcripts": "transcript", "survey": "survey", "surveys": "survey",
                     "questionnaire": "survey", "reviews": "reviews", "reviewers": "reviews"}
EXPLICIT = re.compile(r"""(?<![\w/])([A-Za-z_][\w-]*)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s,;]+)""")
EXPLICIT_KEYS = {"stage": "stage", "touchpoint": "touchpoint", "touchpoints": "touchpoint", "emotion": "emotion",
                 "emotions": "emotion", "category": "pain_category", "pain_category": "pain_category",
                 "pain": "pain", "sentiment": "sentiment", "participant": "participant", "who": "participant",
                 "source": "source", "kind": "kind", "text": "search", "search": "search", "q": "search",
                 "cluster": "cluster", "id": "id"}

COMPARE = re.compile(r"^\s*(?:please\s+)?(?:compare|contrast)\s+(?P<body>.+)$|"
                     r"^\s*(?:what(?:'s| is| are)\s+)?(?:the\s+)?differences?\s+between\s+(?P<between>.+)$", re.I)
COMPARE_COMMON = re.compile(r"\s+\b(?:on|about|regarding|for|in terms of|when it comes to)\b\s+(?P<common>.+)$", re.I)
COMPARE_SPLIT = re.compile(r"\s*(?:,|;|\bwith\b|\bvs\.?(?=\s)|\bversus\b|\bagainst\b|\band\b|\bto\b)\s*", re.I)
COUNT = re.compile(r"\b(how many|number of|how much|how often|count)\b", re.I)
ISSUES = re.compile(r"\b(top|main|biggest|key|common|recurring|frequent|major|worst)\b.*?"
                    r"\b(issues?|problems?|pain ?points?|complaints?|themes?|pains?|frustrations?)\b|"
                    r"^\s*(what are the\s+)?(issues|problems|pain points|complaints|recurring issues)\s*\??\s*$", re.I)
CHURN = re.compile(r"\bwhy\b.*\b(leav\w*|left|cancel\w*|churn\w*|quit\w*|stop\w*|switch\w*|unsubscrib\w*|go elsewhere)\b|"
                   r"\breasons? (for|to|why)\b.*\b(leav\w*|cancel\w*|churn\w*|quit\w*)\b|\bchurn\b", re.I)
OVERVIEW = re.compile(r"\b(overview|summary|summari[sz]e|at a glance|the study|the data|stats|statistics)\b", re.I)
HELP = re.compile(r"^\s*(help|\?|what can (you|i) (do|ask)|how does this work|examples?)\s*\??\s*$", re.I)
TOP_N = re.compile(r"\btop\s+(\d{1,2})\b", re.I)


@dataclass
class Match:
    """How some words of the question were read: dimension, value and the words themselves."""

    dimension: str
    value: str
    words: str


@dataclass
class Scope:
    """One set of filters: a whole question, or one side of a comparison."""

    codes: dict[str, list[str]] = field(default_factory=dict)
    pain: bool | None = None
    sentiment: str | None = None
    participants: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    source_kinds: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    search: list[str] = field(default_factory=list)
    statement_ids: list[int] | None = None
    matches: list[Match] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    text: str = ""

    def add_code(self, dimension: str, value: str, words: str) -> None:
        values = self.codes.setdefault(dimension, [])
        if value not in values:
            values.append(value)
            self.matches.append(Match(dimension, value, words))

    def is_empty(self) -> bool:
        return not (self.codes or self.pain is not None or self.sentiment or self.participants or self.sources
                    or self.source_kinds or self.metadata or self.search or self.statement_ids is not None)

    def only_search(self) -> bool:
        return bool(self.search) and Scope(search=[]).is_empty() and not (
            self.codes or self.pain is not None or self.sentiment or self.participants or self.sources
            or self.source_kinds or self.metadata or self.statement_ids is not None)

    def merged(self, other: "Scope") -> "Scope":
        """This scope narrowed by another (a comparison side plus what both sides share)."""
        result = Scope(codes={k: list(v) for k, v in self.codes.items()}, pain=self.pain, sentiment=self.sentiment,
                       participants=list(self.participants), sources=list(self.sources),
                       source_kinds=list(self.source_kinds), metadata=dict(self.metadata), search=list(self.search),
                       statement_ids=self.statement_ids, matches=list(self.matches), problems=list(self.problems),
                       text=self.text)
        for dimension, values in other.codes.items():
            for value in values:
                result.add_code(dimension, value, "")
        result.pain = other.pain if other.pain is not None else result.pain
        result.sentiment = other.sentiment or result.sentiment
        result.participants += other.participants
        result.sources += other.sources
        result.source_kinds += other.source_kinds
        result.metadata.update(other.metadata)
        result.search += other.search
        if other.statement_ids is not None:
            result.statement_ids = other.statement_ids
        result.matches += [m for m in other.matches if m.dimension not in CODE_FIELDS]
        result.problems += other.problems
        return result

    def statement_filter(self, search: bool = True) -> StatementFilter:
        """The shared core filter; several values of one dimension mean any of them."""
        flt = StatementFilter(pain=self.pain, sentiment=self.sentiment, metadata=dict(self.metadata),
                              statement_ids=self.statement_ids)
        for dimension, values in self.codes.items():
            column = CODE_FIELDS[dimension]
            if dimension == "pain_category" and flt.pain is None:
                flt.pain = True
            if len(values) == 1:
                setattr(flt, dimension, values[0])
            elif dimension in ("touchpoint", "emotion"):
                flt.extra_where.append(code_list_clause(column, values))
            else:
                flt.extra_where.append((f"s.{column} in ({','.join('?' * len(values))})", values))
        if self.participants:
            ids = [p["id"] for p in self.participants]
            flt.extra_where.append((f"s.participant_id in ({','.join('?' * len(ids))})", ids))
        if self.sources:
            ids = [s["id"] for s in self.sources]
            flt.extra_where.append((f"s.source_id in ({','.join('?' * len(ids))})", ids))
        if self.source_kinds:
            kinds = sorted(set(self.source_kinds))
            # Through the few sources, so counting needs no join of every statement to its source.
            marks = ",".join("?" * len(kinds))
            flt.extra_where.append((f"s.source_id in (select id from sources where kind in ({marks}))", kinds))
        if search and self.search:
            flt.search = " ".join(self.search)
        return flt


@dataclass
class Intent:
    kind: str  # quotes | count | compare | issues | churn | overview | help | action
    text: str
    scope: Scope = field(default_factory=Scope)
    sides: list[Scope] = field(default_factory=list)
    action: Action | None = None
    feel: bool = False  # "how do people feel": show both sides of the sentiment
    limit: int | None = None
    not_understood: bool = False


class QuestionReader:
    """Reads questions against one codebook and one database."""

    def __init__(self, lexicon: Lexicon, catalog: Catalog):
        self.lexicon = lexicon
        self.catalog = catalog
        self.frame = frozenset(stem_words(FRAME))
        self.pain_stems = frozenset(stem_words(PAIN_WORDS))
        self.sentiment_stems = {stem: name for name, words in SENTIMENT_WORDS.items() for stem in stem_words(words)}

    def read(self, text: str) -> Intent:
        text = " ".join(text.split())
        if not text or HELP.match(text):
            return Intent("help", text)
        action = parse_action(text)
        if action is not None:
            return Intent("action", text, action=action)
        compared = COMPARE.match(text)
        if compared:
            return self._compare(text, compared.group("body") or compared.group("between"))
        if re.search(r"\b(vs\.?|versus)\s", text, re.I):
            return self._compare(text, text)
        if OVERVIEW.search(text) and self.scope(OVERVIEW.sub(" ", text)).is_empty():
            return Intent("overview", text)
        limit = TOP_N.search(text)
        limit_value = int(limit.group(1)) if limit else None
        scope_text = TOP_N.sub(" ", text) if limit else text
        scope = self.scope(scope_text)
        if CHURN.search(text):
            kind = "churn"
        elif ISSUES.search(text):
            kind = "issues"
        elif COUNT.search(text):
            kind = "count"
        else:
            kind = "quotes"
        feel = bool(re.search(r"\b(feel|feels|felt|feeling|think|opinion|sentiment|perceive|view)\b", text, re.I))
        intent = Intent(kind, text, scope=scope, feel=feel, limit=limit_value)
        if kind in ("quotes", "count") and scope.is_empty():
            intent.not_understood = kind == "quotes"
        return intent

    def _compare(self, text: str, body: str) -> Intent:
        common_match = COMPARE_COMMON.search(body)
        common = self.scope(common_match.group("common")) if common_match else Scope()
        if common_match:
            body = body[:common_match.start()]
        parts = [p.strip(" ?.!") for p in COMPARE_SPLIT.split(body) if p and p.strip(" ?.!")]
        sides = [self.scope(part) for part in parts[:4]]
        sides = [side for side in sides if not side.is_empty()]
        return Intent("compare", text, scope=common, sides=sides)

    def scope(self, text: str) -> Scope:
        """The filters a piece of a question names."""
        scope = Scope(text=text)
        for key, raw in EXPLICIT.findall(text):
            self._explicit(scope, key, raw.strip("'\""))
        rest = EXPLICIT.sub(" ", text)
        for quoted in re.findall(r'"([^"]+)"|“([^”]+)”', rest):
            phrase = quoted[0] or quoted[1]
            found = self.catalog.participant(phrase) or None
            if found:
                scope.participants.append(found)
                scope.matches.append(Match("participant", _who(found), phrase))
            else:
                source = self.catalog.source(phrase)
                if source:
                    scope.sources.append(source)
                    scope.matches.append(Match("source", source["name"], phrase))
                else:
                    scope.search.append(phrase)
            rest = rest.replace(f'"{phrase}"', " ").replace(f"“{phrase}”", " ")
        words = words_of(rest)
        lower = [w.lower() for w in words]
        stems = stem_words(words)
        used: set[int] = set()
        for i, word in enumerate(words):
            found = self._participant_token(word)
            if found:
                scope.participants.append(found)
                scope.matches.append(Match("participant", _who(found), word))
                used.add(i)
            elif lower[i] in SOURCE_KIND_WORDS and SOURCE_KIND_WORDS[lower[i]] in self.catalog.source_kinds():
                kind = SOURCE_KIND_WORDS[lower[i]]
                if kind not in scope.source_kinds:
                    scope.source_kinds.append(kind)
                    scope.matches.append(Match("source kind", kind, word))
                used.add(i)
        for i, stem in enumerate(stems):
            if i in used:
                continue
            if stem in self.pain_stems:
                scope.pain = True
                if lower[i] not in ("wrong",):
                    scope.matches.append(Match("pain", "yes", words[i]))
                used.add(i)
            elif stem in self.sentiment_stems and (lower[i] != "like" or (i and lower[i - 1] in LIKE_SUBJECTS)):
                scope.sentiment = self.sentiment_stems[stem]
                scope.matches.append(Match("sentiment", scope.sentiment, words[i]))
                used.add(i)
        if re.search(r"\bwhat (do|did|does) \w+ (\w+ )?like\b", text, re.I):
            scope.sentiment = scope.sentiment or "positive"
        for span in self.lexicon.spans(stems, blocked=used, frame=self.frame):
            term = choose_term(span, pain_context=bool(scope.pain))
            scope.add_code(term.dimension, term.code, " ".join(words[span.start:span.end]))
            used.update(range(span.start, span.end))
        metadata = self.catalog.metadata_values()
        for i, stem in enumerate(stems):
            if i in used or lower[i] in STOP_WORDS or stem in self.frame or stem in STOP_WORDS:
                continue
            if stem in metadata:
                key, value = metadata[stem]
                scope.metadata[key] = value
                scope.matches.append(Match(f"metadata {key}", value, words[i]))
            elif len(words[i]) > 1:
                scope.search.append(words[i])
        if scope.pain is False:
            scope.pain = None
        return scope

    def _participant_token(self, word: str) -> dict | None:
        if PARTICIPANT_CODE.match(word):
            return self.catalog.participant(word)
        return self.catalog.participant_named(word)

    def _explicit(self, scope: Scope, key: str, value: str) -> None:
        dimension = EXPLICIT_KEYS.get(key.lower())
        if dimension is None:
            scope.metadata[key] = value
            scope.matches.append(Match(f"metadata {key}", value, f"{key}={value}"))
        elif dimension in CODE_FIELDS:
            code = self._code(dimension, value)
            if code:
                scope.add_code(dimension, code, value)
            else:
                choices = ", ".join(self.lexicon.codebook.ids(dimension))
                scope.problems.append(f"unknown {dimension} '{value}' (choose from {choices})")
        elif dimension == "pain":
            scope.pain = value.lower() in ("yes", "y", "true", "1")
            scope.matches.append(Match("pain", "yes" if scope.pain else "no", value))
        elif dimension == "sentiment":
            if value.lower() in SENTIMENT_WORDS:
                scope.sentiment = value.lower()
                scope.matches.append(Match("sentiment", scope.sentiment, value))
            else:
                scope.problems.append(f"unknown sentiment '{value}' (choose from {', '.join(SENTIMENT_WORDS)})")
        elif dimension == "participant":
            found = self.catalog.participant(value)
            if found:
                scope.participants.append(found)
                scope.matches.append(Match("participant", _who(found), value))
            else:
                scope.problems.append(f"no participant '{value}'")
        elif dimension == "source":
            found = self.catalog.source(value)
            if found:
                scope.sources.append(found)
                scope.matches.append(Match("source", found["name"], value))
            else:
                scope.problems.append(f"no source '{value}'")
        elif dimension == "kind":
            scope.source_kinds.append(SOURCE_KIND_WORDS.get(value.lower(), value.lower()))
            scope.matches.append(Match("source kind", scope.source_kinds[-1], value))
        elif dimension == "search":
            scope.search.append(value)
        elif dimension == "cluster":
            members = self.catalog.cluster_members(value)
            if members is None:
                scope.problems.append(f"no cluster '{value}' (run `cluster` first)")
            else:
                scope.statement_ids = members
                scope.matches.append(Match("cluster", value, value))
        elif dimension == "id" and value.isdigit():
            scope.statement_ids = [int(value)]

    def _code(self, dimension: str, value: str) -> str | None:
        codebook = self.lexicon.codebook
        for code in codebook.codes(dimension):
            if value.lower() in (code.id.lower(), code.label.lower()):
                return code.id
        stems = stem_words(words_of(value))
        for span in self.lexicon.spans(stems):
            for term in span.terms:
                if term.dimension == dimension:
                    return term.code
        return None


def _who(participant: dict) -> str:
    label, pseudonym = participant.get("label"), participant.get("pseudonym")
    return f"{label} ({pseudonym})" if pseudonym and pseudonym != label else str(label)
