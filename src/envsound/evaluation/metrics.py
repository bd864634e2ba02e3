"""Numbers a report shows, computed from a run folder's saved predictions (never re-trained)."""

from __future__ import annotations

import numpy as np

from envsound.runs import RunResults


def confusion_matrix(targets: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts: rows are true classes, columns predicted."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (targets, predictions), 1)
    return matrix


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros(matrix.shape, dtype=float), where=totals > 0)


def per_class_accuracy(targets: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    return np.diag(normalise_rows(confusion_matrix(targets, predictions, n_classes)))


def macro_confusion(targets: np.ndarray, predictions: np.ndarray, classes_per_group: int = 10) -> np.ndarray:
    """ESC-50's 5 macro categories are targets 0-9, 10-19, ...: the group is target // 10."""
    groups = int(max(targets.max(), predictions.max())) // classes_per_group + 1
    return confusion_matrix(targets // classes_per_group, predictions // classes_per_group, groups)


def top_confusions(results: RunResults, k: int = 10, examples: int = 3) -> list[dict]:
    """The k most frequent (true → predicted) mistakes, with a few clip ids each."""
    matrix = confusion_matrix(results.targets, results.predictions, len(results.classes))
    np.fill_diagonal(matrix, 0)
    order = np.dstack(np.unravel_index(np.argsort(matrix, axis=None)[::-1], matrix.shape))[0]
    out = []
    for true, pred in order[:k]:
        if matrix[true, pred] == 0:
            break
        ids = [c for c, t, p in zip(results.clip_ids, results.targets, results.predictions) if t == true and p == pred][:examples]
        out.append({"true": results.classes[true], "predicted": results.classes[pred], "count": int(matrix[true, pred]), "clips": ids})
    return out
