"""Loaders for the public labelled sets, each turned into texts with codebook-level gold labels.

Every loader reads from the data folder given at run time (never from the project) and
returns `LabelledItem`s whose gold labels are already mapped to codebook ids (see
`mappings.py`). Sets published with a test split are scored on it. Sets without
one (complaints, airline, BANKING77) are cut by a stable hash of the row id into a
30% `dev` slice, the only part looked at while improving the tagger, and a 70%
`test` slice that is reported.
"""

from __future__ import annotations

import csv
import hashlib
import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from voicemap.codebook import Codebook
from voicemap.evaluation.mappings import (
    AIRLINE_REASON_STAGE, BANKING77_INTENT_STAGE, absa_touchpoint, goemotions_to_codebook,
)

SPLITS = ("test", "dev", "train")
NONE = "(none)"  # "no stage here" is a label too: predicting one is a false positive
DEV_SHARE = 3  # of 10: the slice of a split-less set used for error analysis


class DatasetError(Exception):
    """A labelled set that is missing or unreadable; the message names the file."""


@dataclass
class LabelledItem:
    id: str
    text: str
    gold: dict[str, object]  # dimension -> str | bool | frozenset[str]; a missing key is not scored


@dataclass
class LabelledSet:
    name: str
    folder: str
    split: str
    items: list[LabelledItem]
    files: list[Path] = field(default_factory=list)  # what was read, for the data version
    note: str = ""


def in_dev_slice(item_id: str) -> bool:
    """Stable 30/70 cut of a set without its own split (same answer on every machine)."""
    return int(hashlib.sha1(item_id.encode("utf-8")).hexdigest(), 16) % 10 < DEV_SHARE


def _slice(items: list[LabelledItem], split: str) -> list[LabelledItem]:
    if split == "train":
        raise DatasetError("this set has no train split (evaluation only)")
    want_dev = split == "dev"
    return [item for item in items if in_dev_slice(item.id) == want_dev]


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DatasetError(f"{path}: labelled data file not found")
    return path


def load_complaints(root: Path, split: str, codebook: Codebook) -> LabelledSet:
    """Complaint yes/no (Preoţiuc-Pietro et al. 2019): a complaint is a pain point."""
    path = _require(root / "complaints_social_media" / "complaints-data.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    items = [LabelledItem(f"{row[0]}-{number}", row[1], {"pain": row[2].strip() == "1"})
             for number, row in enumerate(rows) if len(row) >= 3]
    return LabelledSet("complaints", "complaints_social_media", split, _slice(items, split), [path])


def load_airline(root: Path, split: str, codebook: Codebook) -> LabelledSet:
    """Airline tweets: sentiment as labelled, and the complaint reason mapped to a stage."""
    path = _require(root / "twitter_us_airline_sentiment" / "Tweets.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    items = []
    for number, row in enumerate(rows):
        gold: dict[str, object] = {"sentiment": row["airline_sentiment"]}
        stage = AIRLINE_REASON_STAGE.get(row.get("negativereason") or "")
        if stage:
            gold["stage"] = stage
        items.append(LabelledItem(f"{row['tweet_id']}-{number}", row["text"], gold))
    return LabelledSet("airline", "twitter_us_airline_sentiment", split, _slice(items, split), [path])


def load_banking77(root: Path, split: str, codebook: Codebook) -> LabelledSet:
    """BANKING77 customer queries: the intent mapped to a stage (unmapped intents left out)."""
    path = _require(root / "banking77" / "test.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    unknown = {row["category"] for row in rows} - set(BANKING77_INTENT_STAGE)
    if unknown:
        raise DatasetError(f"{path}: intents missing from the stage mapping: {', '.join(sorted(unknown))}")
    items = [LabelledItem(f"b77-{number}", row["text"], {"stage": BANKING77_INTENT_STAGE[row["category"]]})
             for number, row in enumerate(rows) if BANKING77_INTENT_STAGE[row["category"]]]
    return LabelledSet("banking77", "banking77", split, _slice(items, split), [path])


def read_goemotions(root: Path, split: str) -> tuple[Path, list[tuple[str, list[str]]]]:
    """(path, [(text, [GoEmotions label, ...])]) for one official split."""
    folder = root / "goemotions"
    names = _require(folder / "emotions.txt").read_text(encoding="utf-8").split()
    path = _require(folder / f"{split}.tsv")
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[1]:
                rows.append((parts[0], [names[int(i)] for i in parts[1].split(",")]))
    return path, rows


def load_goemotions(root: Path, split: str, codebook: Codebook) -> LabelledSet:
    """GoEmotions (official split): labels mapped to codebook emotions via their `goemotions` fields."""
    path, rows = read_goemotions(root, split)
    mapping = goemotions_to_codebook(codebook)
    items = [LabelledItem(f"ge-{split}-{number}", text,
                          {"emotion": frozenset(mapping[label] for label in labels if label in mapping)})
             for number, (text, labels) in enumerate(rows)]
    return LabelledSet("goemotions", "goemotions", split, items, [path, root / "goemotions" / "emotions.txt"])


ABSA_FILES = {
    "test": ("EN_LAPT_SB1_TEST_.xml.gold", "EN_REST_SB1_TEST_gold.xml"),
    "dev": ("ABSA16_Laptops_Train_SB1_v2.xml", "ABSA16_Restaurants_Train_SB1_v2.xml"),
}


def load_absa(root: Path, split: str, codebook: Codebook) -> LabelledSet:
    """SemEval-2016 ABSA sentences (laptops + restaurants): aspect categories mapped to touchpoints.

    The organisers' train files serve as the dev split. Out-of-scope sentences are skipped.
    """
    if split not in ABSA_FILES:
        raise DatasetError(f"semeval2016_absa: no '{split}' split (use test or dev)")
    items, paths = [], []
    for name in ABSA_FILES[split]:
        path = _require(root / "semeval2016_absa" / name)
        paths.append(path)
        try:
            tree = ElementTree.parse(path)
        except ElementTree.ParseError as exc:
            raise DatasetError(f"{path}: not valid XML ({exc})") from None
        for sentence in tree.iter("sentence"):
            if sentence.get("OutOfScope") == "TRUE":
                continue
            text = (sentence.findtext("text") or "").strip()
            touchpoints = {absa_touchpoint(o.get("category", "")) for o in sentence.iter("Opinion")}
            items.append(LabelledItem(sentence.get("id", ""), text, {"touchpoint": frozenset(t for t in touchpoints if t)}))
    return LabelledSet("absa", "semeval2016_absa", split, items, paths)


# Field names of a labelled JSON Lines file -> the dimension they score.
LABEL_FIELDS = {"stage": "stage", "touchpoints": "touchpoint", "emotions": "emotion", "sentiment": "sentiment",
                "pain": "pain", "pain_category": "pain_category"}
MULTI_LABEL = {"touchpoint", "emotion"}


def load_labelled_file(path: str | Path, limit: int | None = None) -> LabelledSet:
    """A researcher's own labelled statements, one JSON object a line.

    `{"text": "...", "stage": "support", "touchpoints": ["phone"], "emotions": [], "sentiment": "negative",
    "pain": true, "pain_category": "support"}`; a field that is absent is not scored for that line.
    """
    path = _require(Path(path))
    items = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}: line {number} is not JSON ({exc.msg})") from None
            if not isinstance(record, dict) or not str(record.get("text") or "").strip():
                raise DatasetError(f"{path}: line {number} has no text")
            gold: dict[str, object] = {}
            for field_name, dimension in LABEL_FIELDS.items():
                if field_name not in record:
                    continue
                value = record[field_name]
                if dimension in MULTI_LABEL:
                    gold[dimension] = frozenset(value or [])
                elif dimension == "pain":
                    gold[dimension] = value in (True, 1, "yes", "true", "1")
                else:
                    gold[dimension] = str(value) if value else NONE
            items.append(LabelledItem(str(record.get("id") or f"line-{number}"), str(record["text"]), gold))
    return LabelledSet(path.stem, str(path), "all", items[:limit] if limit else items, [path])


LOADERS: dict[str, Callable[[Path, str, Codebook], LabelledSet]] = {
    "complaints": load_complaints,
    "airline": load_airline,
    "goemotions": load_goemotions,
    "absa": load_absa,
    "banking77": load_banking77,
}
ALIASES = {
    "complaints_social_media": "complaints", "twitter_us_airline_sentiment": "airline",
    "semeval2016_absa": "absa", "semeval": "absa",
}


def dataset_names() -> list[str]:
    return list(LOADERS)


def load_dataset(name: str, root: str | Path, split: str = "test", codebook: Codebook | None = None,
                 limit: int | None = None) -> LabelledSet:
    """Load one labelled set by name (or folder name); `limit` keeps the first N items."""
    from voicemap.codebook import load_codebook

    if name.endswith((".jsonl", ".ndjson")) and Path(name).is_file():
        return load_labelled_file(name, limit)
    key = ALIASES.get(name, name)
    if key not in LOADERS:
        raise DatasetError(f"unknown data set '{name}' (choose from {', '.join(LOADERS)} or all)")
    if split not in SPLITS:
        raise DatasetError(f"unknown split '{split}' (choose from {', '.join(SPLITS)})")
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: data folder not found")
    labelled = LOADERS[key](root, split, codebook or load_codebook())
    if limit:
        labelled.items = labelled.items[:limit]
    return labelled


def data_version(root: str | Path, files: list[Path]) -> str:
    """The data's identity: MANIFEST.sha256's hash if present, else a hash of the files read."""
    root = Path(root)
    manifest = root / "MANIFEST.sha256"
    digest = hashlib.sha256()
    if manifest.is_file():
        digest.update(manifest.read_bytes())
        return f"MANIFEST.sha256 {digest.hexdigest()[:12]}"
    for path in sorted(set(files)):
        digest.update(path.read_bytes())
    return f"files sha256 {digest.hexdigest()[:12]}"
