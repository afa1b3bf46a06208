"""GoEmotions `group/` split reading and the label rule shared by every trainer.

The rule (mirrored by the Rust `evaluate` binary, so training and evaluation agree):
- `ambiguous` (confusion, curiosity, realization, surprise) has no valence of its own; by default
  it is folded into `neutral`, because a deployed model must still answer something for such
  text and "neither positive nor negative" is the honest answer. `drop` removes it instead.
- A row with several group labels keeps its polar label when it has exactly one polarity (a
  polar emotion carries the sentiment over a neutral or ambiguous co-label) and is dropped when
  it has both negative and positive (genuinely mixed; no single right answer).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

# Every trainer takes the data directory as a required argument: GoEmotions is not part of this
# repository (README.md, "Data and label rule", says how to get it).
DATA_HELP = (
    "GoEmotions sentiment split: a directory holding train.tsv, dev.tsv and labels.txt "
    "(the group/ grouping; see training/README.md for how to get it)"
)

LABELS = ["negative", "neutral", "positive"]
ID2LABEL = dict(enumerate(LABELS))
LABEL2ID = {name: i for i, name in ID2LABEL.items()}


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list[int]
    dropped: int


def sentiment_of(names: list[str], ambiguous: str = "neutral") -> str | None:
    """The 3-class sentiment of one row's group label names, or None when the row is dropped."""
    if ambiguous not in ("neutral", "drop"):
        raise ValueError(f"ambiguous must be 'neutral' or 'drop', not {ambiguous!r}")
    kept = set()
    for name in names:
        if name == "ambiguous":
            if ambiguous == "neutral":
                kept.add("neutral")
        elif name in LABEL2ID:
            kept.add(name)
        else:
            raise ValueError(f"unknown group label {name!r}")
    polar = kept & {"negative", "positive"}
    if len(polar) == 2:
        return None
    if polar:
        return polar.pop()
    return "neutral" if kept else None


def read_split(path: Path, labels_path: Path, ambiguous: str = "neutral") -> Split:
    """Read a `text<TAB>ids<TAB>comment id` file into texts and 3-class label ids."""
    names = labels_path.read_text(encoding="utf-8").split()
    texts, labels, dropped = [], [], 0
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            ids = [int(i) for i in row[1].split(",")]
            label = sentiment_of([names[i] for i in ids], ambiguous)
            if label is None:
                dropped += 1
                continue
            texts.append(row[0])
            labels.append(LABEL2ID[label])
    return Split(texts, labels, dropped)


def data_dir(path: Path) -> Path:
    """`path` when it holds the split files every trainer reads; a clear exit otherwise."""
    missing = [n for n in ("train.tsv", "dev.tsv", "labels.txt") if not (path / n).is_file()]
    if missing:
        raise SystemExit(f"--data {path}: missing {', '.join(missing)} ({DATA_HELP})")
    return path
