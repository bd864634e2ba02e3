""""No event here": a linear detector of background on the model's own embedding.

A classifier trained on clips that always hold an event has no way to say "nothing": on ten
seconds of microphone hiss the shipped model said "crickets" at 96 %. The detector is a logistic
regression on the embedding the model already computes (the one novelty reads), fitted to tell
background beds (coloured noise at many levels, hum, DC offset: ``augment/noise_beds.py``) from
the training clips. Its threshold is the 99.7th percentile of its scores on training clips it
was not fitted on (inner folds), so about 3 clips in 1000 of real events are given up.
Chosen by ``benchmarks/background.py`` over the AudioSet head's background tags and a level gate
(``benchmarks/results/background_*.json``).

It is linear, so the mean embedding of a file's windows gives the file's score, and an ONNX export
keeps it exactly as a weight vector in the graph's whitened embedding space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from envsound.data.manifest import Manifest
    from envsound.models.model_file import LoadedModel

QUANTILE = 99.7  # of training clips' out-of-fold scores: declared in benchmarks/background.py
FIT_BEDS = 400  # background beds drawn for a fit (each gives a whole window and a 2-s one)
EVENT_WINDOW_SECONDS = 2.0  # each training clip also gives its loudest 2-s window as an event (benchmarks/background_windows.py)
C = 1.0


@dataclass(frozen=True)
class BackgroundDetector:
    weight: np.ndarray  # (dim,): on the raw embedding (standardisation folded in)
    bias: float
    threshold: float  # a probability: at or above it, a window is background
    fitted_on: str = ""

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(n,) probabilities that each row's embedding is background (no event)."""
        logits = np.asarray(embeddings, dtype=np.float64) @ self.weight + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -500, 500)))

    def to_meta(self) -> dict:
        """The numbers beside the weight tensor in a model file."""
        return {"bias": float(self.bias), "threshold": float(self.threshold), "fitted_on": self.fitted_on}

    @classmethod
    def from_parts(cls, weight: np.ndarray, meta: dict, dim: int | None = None, where: str = "model file") -> "BackgroundDetector":
        """Rebuilt from a file's weight and metadata, every field checked (a file can lie)."""
        from envsound.errors import RunError

        try:
            weight = np.asarray(weight, dtype=np.float64).reshape(-1)
            bias, threshold = float(meta["bias"]), float(meta["threshold"])
            fitted_on = str(meta.get("fitted_on", ""))
        except (KeyError, TypeError, ValueError) as err:
            raise RunError(f"{where}: background detector metadata invalid ({type(err).__name__}: {err})") from None
        if not (np.all(np.isfinite(weight)) and np.isfinite(bias) and 0.0 < threshold < 1.0):
            raise RunError(f"{where}: background detector has a non-finite weight or a threshold outside (0, 1)")
        if dim is not None and len(weight) != dim:
            raise RunError(f"{where}: background detector expects {len(weight)}-d embeddings, the model gives {dim}")
        return cls(weight, bias, threshold, fitted_on)

    def whitened(self, whitening: np.ndarray) -> "BackgroundDetector":
        """The same detector on z = x @ L (an ONNX graph's whitened embedding): w_z = L^-1 w."""
        return BackgroundDetector(np.linalg.solve(whitening, self.weight), self.bias, self.threshold, self.fitted_on)


def _logistic(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([positives, negatives])
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(scaler.transform(x), y)
    weight = model.coef_[0] / scaler.scale_
    return weight, float(model.intercept_[0] - scaler.mean_ @ weight)


def fit_background(beds: np.ndarray, clips: np.ndarray, groups: np.ndarray, fitted_on: str = "") -> BackgroundDetector:
    """Fit on the embeddings of background ``beds`` and of training ``clips`` (events); the
    threshold comes from each group's clips scored by a detector fitted without that group
    (``groups``: folds, or any grouping that keeps one source on one side)."""
    from envsound.errors import RunError

    beds, clips = np.asarray(beds, dtype=np.float64), np.asarray(clips, dtype=np.float64)
    groups = np.asarray(groups)
    if len(np.unique(groups)) < 2:
        raise RunError("a background detector needs clips in at least two folds or groups (its threshold is set on clips it was not fitted on)")
    held_scores = np.empty(len(clips))
    for group in np.unique(groups):
        held = groups == group
        weight, bias = _logistic(beds, clips[~held])
        held_scores[held] = BackgroundDetector(weight, bias, 0.5).scores(clips[held])
    weight, bias = _logistic(beds, clips)
    threshold = float(np.clip(np.percentile(held_scores, QUANTILE), 1e-6, 1 - 1e-6))
    return BackgroundDetector(weight, bias, threshold, fitted_on)


def bed_embeddings(loaded: "LoadedModel", count: int = FIT_BEDS, batch_size: int = 32) -> np.ndarray:
    """The model's embeddings of ``count`` drawn background beds, each as a whole window and as a
    2-s one (what ``timeline`` scores): the positives a background detector is fitted on."""
    from envsound.augment.noise_beds import fit_beds

    extractor = loaded.extractor
    size = round(extractor.clip_seconds * extractor.sample_rate)
    beds = np.stack([bed.signal for bed in fit_beds(count, extractor.sample_rate, seconds=extractor.clip_seconds)])[:, :size]
    short = beds[:, : min(size, round(2.0 * extractor.sample_rate))]
    return np.concatenate([loaded.embeddings(extractor(part[i : i + batch_size]), batch_size) for part in (beds, short) for i in range(0, len(part), batch_size)])


def event_windows(manifest: "Manifest", rate: int) -> np.ndarray:
    """Each clip's loudest ``EVENT_WINDOW_SECONDS`` (what ``timeline`` sees of an event): without
    them among the negatives, a siren's 2-s windows were called background."""
    from envsound.audio import load_audio, loudest_window

    return np.stack([loudest_window(load_audio(c.path, rate), rate, EVENT_WINDOW_SECONDS) for c in manifest.clips])


def dataset_groups(manifest: "Manifest") -> np.ndarray:
    """Folds where the dataset has them, else its groups (one source stays on one side)."""
    return manifest.folds if manifest.folds is not None else np.array(manifest.groups)


def fit_model_background(loaded: "LoadedModel", manifest: "Manifest", beds: int = FIT_BEDS) -> BackgroundDetector:
    """A background detector for ``loaded``: drawn beds against the embeddings of the clips of
    ``manifest`` (the model's training data), thresholded on clips each fit did not see."""
    from envsound.features.cache import load_or_compute

    features = load_or_compute(manifest, loaded.extractor, show_progress=False).features
    windows = event_windows(manifest, loaded.extractor.sample_rate)
    clips = np.concatenate([loaded.embeddings(np.asarray(features)),
                            np.concatenate([loaded.embeddings(loaded.extractor(windows[i : i + 32])) for i in range(0, len(windows), 32)])])
    groups = np.concatenate([dataset_groups(manifest)] * 2)
    return fit_background(bed_embeddings(loaded, beds), clips, groups,
                          fitted_on=f"{beds} noise beds against the {len(manifest)} clips of {manifest.name} and their loudest {EVENT_WINDOW_SECONDS:g}-s windows")
