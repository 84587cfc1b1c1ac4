"""The answer to a question the assistant cannot read: what it can do, in the user's words.

Examples are built from the codebook in use and the study in the database (its stage
and touchpoint labels, its participants, its metadata), so a patient-journey project
sees "pain points in referral", not a shopping example that would not work there.
"""

from __future__ import annotations

from voicemap.assistant.actions import ACTIONS
from voicemap.assistant.answers import compact_lines
from voicemap.assistant.catalog import Catalog
from voicemap.assistant.lexicon import STOP_WORDS, words_of
from voicemap.codebook import Codebook
from voicemap.report.markdown import escape_inline


def _first(codes, index: int = 0) -> str:
    """A short name for a code: its label, or the label's first word when the label is long."""
    if not codes:
        return ""
    label = codes[min(index, len(codes) - 1)].label
    words = [w for w in words_of(label) if w.lower() not in STOP_WORDS]
    return (words[0] if len(words) > 2 or " and " in label or " or " in label else label).lower().replace("`", "")


def example_questions(codebook: Codebook, catalog: Catalog | None = None) -> list[str]:
    """Questions that work on this codebook and study, one per kind of answer."""
    stages, touchpoints, emotions = codebook.stages, codebook.touchpoints, codebook.emotions
    examples = [
        f"what frustrates people at {_first(touchpoints, len(touchpoints) // 2)}?",
        f"pain points in {_first(stages, len(stages) // 2)}",
        f"show quotes about {_first(touchpoints)}",
        f"how do people feel about {_first(stages, len(stages) - 1)}?",
        f"how many negative statements about {_first(touchpoints, 1)}?",
        f"which statements express {_first(emotions)}?",
    ]
    people = catalog.some_participants(2) if catalog else []
    if len(people) == 2:
        examples.append(f"compare {people[0]['pseudonym']} and {people[1]['pseudonym']}")
    else:
        examples.append("compare P1 and P3")
    metadata = catalog.metadata_examples() if catalog else []
    if metadata:
        key, values = metadata[0]
        examples.append(f"compare {key}={values[0]} with {key}={values[1]}")
    examples += ["top issues", "why do customers leave?"]
    return examples


def help_answer(codebook: Codebook, catalog: Catalog | None = None, question: str | None = None) -> str:
    lines = []
    if question:
        lines += [f"I could not read “{escape_inline(question, line_start=False)}” as a question about the study. "
                  "Here is what I can answer.", ""]
    lines += ["**Ask about the statements** in plain words; I match the codebook's stages, touchpoints, emotions "
              "and pain categories (labels and cue phrases), participants and metadata, and search the text for "
              "the rest. For example:", ""]
    lines += [compact_lines([f"· `{example}`" for example in example_questions(codebook, catalog)])]
    lines += ["", "**Filters** can also be typed exactly: `stage:" + codebook.stages[0].id + "`, `touchpoint:"
              + codebook.touchpoints[0].id + "`, `pain:yes`, `sentiment:negative`, `participant:P01`, `segment=…`.",
              "", "**Commands:**", ""]
    lines += [compact_lines([f"· `{spec.usage}`: {spec.help}" for spec in ACTIONS])]
    lines += ["", "Stages in this codebook: " + ", ".join(escape_inline(s.label) for s in codebook.stages) + "."]
    return "\n".join(lines) + "\n"
