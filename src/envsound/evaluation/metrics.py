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


def macro_confusion(targets: np.ndarray, predictions: np.ndarray, group_of: list[int] | np.ndarray) -> np.ndarray:
    """Counts between macro categories; ``group_of[c]`` is class c's category (a DatasetInfo's
    ``macro_group_of()``; ESC-50's five are classes 0-9, 10-19, ...)."""
    group_of = np.asarray(group_of)
    return confusion_matrix(group_of[targets], group_of[predictions], int(group_of.max()) + 1)


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
