"""ESC-50 without ESC-50 training: the AudioSet head's own tags, mapped class by class.

The backbone's AudioSet head has heard about two million clips. ``assets/esc50_audioset.json``
maps each ESC-50 class to the AudioSet ontology names of the same sound (reviewed by hand, before
any measurement); a class's score is the highest sigmoid among its names. Used alone it is a
zero-shot classifier; mixed into a trained head's probabilities it is a prior
(``benchmarks/zero_shot.py`` chooses the mixing weight on training folds only).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parent.parent / "assets"


class AudioSetZeroShot:
    def __init__(self, classes: tuple[str, ...], label_map: dict[str, list[str]] | None = None, audioset_names: list[str] | None = None) -> None:
        label_map = label_map if label_map is not None else json.loads((ASSETS / "esc50_audioset.json").read_text())["map"]
        audioset_names = audioset_names if audioset_names is not None else audioset_labels()
        index = {name: i for i, name in enumerate(audioset_names)}
        missing = sorted(set(classes) - set(label_map))
        if missing:
            raise ValueError(f"no AudioSet names for classes {missing[:5]}")
        self.classes = tuple(classes)
        self.columns = [[index[name] for name in label_map[c]] for c in self.classes]

    def scores(self, audioset_logits: np.ndarray) -> np.ndarray:
        """(clips, classes): each class's best sigmoid score among its AudioSet names."""
        sig = 1.0 / (1.0 + np.exp(-np.asarray(audioset_logits, dtype=np.float64)))
        return np.stack([sig[:, cols].max(axis=1) for cols in self.columns], axis=1)

    def probabilities(self, audioset_logits: np.ndarray) -> np.ndarray:
        """The scores normalised to sum to one per clip, to mix with a classifier's probabilities."""
        scores = self.scores(audioset_logits) + 1e-9
        return scores / scores.sum(axis=1, keepdims=True)


def audioset_labels() -> list[str]:
    """The 527 AudioSet display names in the backbone's output order."""
    with open(ASSETS / "audioset_labels.csv", newline="") as handle:
        return [row["display_name"] for row in csv.DictReader(handle)]
