"""Accuracy, macro-F1 and the confusion matrix, computed the same way as the Rust evaluator."""

from __future__ import annotations


def confusion(gold: list[int], pred: list[int], n: int) -> list[list[int]]:
    """Rows are gold labels, columns predictions."""
    m = [[0] * n for _ in range(n)]
    for g, p in zip(gold, pred, strict=True):
        m[g][p] += 1
    return m


def summary(gold: list[int], pred: list[int], n: int) -> dict:
    m = confusion(gold, pred, n)
    total = sum(map(sum, m))
    f1s = []
    for k in range(n):
        tp = m[k][k]
        predicted = sum(m[r][k] for r in range(n))
        actual = sum(m[k])
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return {
        "accuracy": sum(m[k][k] for k in range(n)) / total,
        "macro_f1": sum(f1s) / n,
        "f1": f1s,
        "confusion": m,
        "n": total,
    }
