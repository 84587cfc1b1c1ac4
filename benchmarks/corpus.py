"""A synthetic feedback corpus for the benchmark: N one-sentence statements of 8–30 words.

The sentences are built from templates written for voicemap (no real customer text),
with slots for products, channels, problems and feelings, so the tagger sees the mix
of praise, complaints, negation and contrast that real survey answers have. A fixed
seed makes every run measure the same text.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SUBJECTS = ["the app", "the website", "the delivery driver", "the support team", "the checkout page",
            "the recipe box", "the billing page", "customer service", "the chat agent", "the phone line",
            "the packaging", "the new menu", "my account page", "the login screen", "the courier",
            "the weekly box", "the subscription settings", "the email reminder", "the refund process"]
PROBLEMS = ["crashed twice", "kept logging me out", "charged me twice", "arrived three hours late",
            "never showed up", "was missing two ingredients", "froze at the payment step",
            "took forever to load", "lost my order", "ignored my message", "sent the wrong box",
            "made it impossible to cancel", "hid the delivery fee until the end", "broke my saved card"]
PRAISES = ["works really well", "was quick and friendly", "made everything easy", "saved me so much time",
           "was better than I expected", "sorted it out in minutes", "looks clean and simple",
           "arrived right on time", "was genuinely helpful", "kept the food cold and fresh"]
FEELINGS = ["frustrated", "confused", "annoyed", "relieved", "delighted", "worried", "disappointed",
            "happy", "impressed", "skeptical", "anxious", "satisfied"]
TIMES = ["last week", "on Monday", "yesterday evening", "twice this month", "after the update",
         "during my first order", "when I tried to pause", "on my third box", "every single time",
         "over the holidays", "since I switched plans"]
ACTIONS = ["cancel my subscription", "change my delivery day", "update my card", "skip a week",
           "contact support", "find the recipes", "apply the discount code", "reset my password",
           "add an extra portion", "switch to the biweekly plan", "track the courier"]
OTHERS = ["PantryPal", "Chef and Co", "the supermarket", "a takeaway", "my old provider"]
MODIFIERS = ["honestly", "to be fair", "to be honest", "frankly", "overall", "as a busy parent", "again"]
TEMPLATES = [
    "{Subject} {problem} {time} and I felt really {feeling} about it.",
    "{Subject} {praise} and I would happily recommend it to a friend.",
    "I tried to {action} {time} but {subject} {problem}.",
    "{Modifier}, {subject} {praise}, but {other_subject} {problem} {time}.",
    "It was not easy to {action} because {subject} {problem}.",
    "I was {feeling} when {subject} {problem}, so I called and waited forty minutes.",
    "Compared with {other}, {subject} {praise} and the prices feel fair for a family of four.",
    "{Modifier}, I never managed to {action} and nobody answered my emails {time}.",
    "I would switch to {other} if {subject} {problem} one more time.",
    "The first box was lovely, {subject} {praise} and I felt {feeling} about signing up.",
    "I could not {action} without going through five screens of offers {time}.",
    "Great food, but {subject} {problem} and the refund took two weeks.",
    "{Subject} {praise} {time}, which made me trust the whole service a lot more.",
    "I saw an ad on Instagram and signed up, and {subject} {praise} from day one.",
    "We paused for a month {time} because {subject} {problem} and the portions were small.",
    "Why does {subject} always ask me to {action} when I just want my dinner?",
    "{Subject} {problem} {time}.",
    "Love it, {subject} {praise}.",
    "Please let me {action} in the app.",
    "{Subject} {problem} {time}, and when I finally reached someone they said it was my fault.",
    "{Modifier}, {subject} {praise} {time}, although I still cannot {action} on my phone.",
]
# Praise, neutral facts and mixed feelings, so complaints are a minority as in real feedback.
GOOD_TEMPLATES = [
    "{Subject} {praise} and I would happily recommend it to a friend.",
    "Love it, {subject} {praise}.",
    "{Subject} {praise} {time}, which made me trust the whole service a lot more.",
    "We usually order on Sundays and {subject} {praise} most weeks.",
    "I signed up after a friend recommended it, and {subject} {praise}.",
    "The portions are generous and {subject} {praise}, so we are staying.",
    "I mostly cook the vegetarian recipes and change my delivery day about once a month.",
    "{Modifier}, I would recommend it to anyone who is short on time during the week.",
    "I compared a few providers before choosing this one because {subject} {praise}.",
    "My partner does the ordering and I do the cooking, which works well for us.",
    "{Subject} {praise} when I needed to {action} {time}.",
]
GOOD_SHARE = 0.55
TAILS = ["", "", "", " and that was the last straw", " for the second time", " which is not acceptable",
         " so I am thinking of leaving", " and my kids noticed", " which I did not expect"]


def _sentence(rng: random.Random) -> str:
    template = rng.choice(GOOD_TEMPLATES if rng.random() < GOOD_SHARE else TEMPLATES)
    subject = rng.choice(SUBJECTS)
    other_subject = rng.choice([s for s in SUBJECTS if s != subject])
    text = template.format(
        Subject=subject[0].upper() + subject[1:], subject=subject, other_subject=other_subject,
        problem=rng.choice(PROBLEMS), praise=rng.choice(PRAISES), feeling=rng.choice(FEELINGS),
        time=rng.choice(TIMES), action=rng.choice(ACTIONS), other=rng.choice(OTHERS),
        Modifier=rng.choice(MODIFIERS).capitalize(),
    )
    tail = rng.choice(TAILS)
    if tail and text.endswith("."):
        text = text[:-1] + tail + "."
    return text


def statements(n: int, seed: int = 7, min_words: int = 8, max_words: int = 30) -> list[str]:
    """N statements whose word counts all lie in [min_words, max_words]."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        text = _sentence(rng)
        if min_words <= len(text.split()) <= max_words:
            out.append(text)
    return out


def write_survey_csv(path: Path, texts: list[str], seed: int = 7) -> Path:
    """The corpus as a survey export: one respondent per row, one open-ended answer each."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent_id", "submitted_at", "segment", "nps", "what_could_we_improve"])
        for number, text in enumerate(texts, start=1):
            writer.writerow([f"R{number:06d}", f"2026-0{1 + number % 3}-{1 + number % 28:02d}",
                             rng.choice(["family", "couple", "single"]), rng.randint(0, 10), text])
    return path


def read_statements(path: Path, n: int | None = None) -> list[str]:
    """Statements from a text file (one per line), optionally the first n."""
    lines = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:n] if n else lines
