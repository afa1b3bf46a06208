"""TF-IDF + logistic regression on the same data and label rule: the floor both models must beat.

    python training/baseline.py --data DIR [--ambiguous neutral]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from goemotions import DATA_HELP, LABELS, read_split
from metrics import summary



def run(data: Path, ambiguous: str, seed: int) -> dict:
    train = read_split(data / "train.tsv", data / "labels.txt", ambiguous)
    dev = read_split(data / "dev.tsv", data / "labels.txt", ambiguous)
    # Word uni+bigrams and character n-grams: the usual strong linear text baseline.
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)
    x_train = vec.fit_transform(train.texts)
    # Balanced class weights: the same lift toward macro-F1 the neural models get.
    clf = LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced", random_state=seed)
    clf.fit(x_train, train.labels)
    pred = clf.predict(vec.transform(dev.texts)).tolist()
    return summary(dev.labels, pred, len(LABELS))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, required=True, help=DATA_HELP)
    p.add_argument("--ambiguous", choices=["neutral", "drop"], default="neutral")
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args()
    print(json.dumps(run(args.data, args.ambiguous, args.seed), indent=2))


if __name__ == "__main__":
    main()
