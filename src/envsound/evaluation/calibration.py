"""Calibration of a finished run, from its saved out-of-fold predictions (nothing is retrained).

``calibrate_run`` judges the cross-fitted calibration (each test fold scaled and thresholded from
the other folds only) and fits the one calibration a model trained on all folds would ship with,
from every fold's out-of-fold predictions: the same recipe's predictions on clips it did not see.
Given that model, "none of these" also uses novelty: the Mahalanobis distance of the model's own
embedding of a clip to the nearest class mean, its statistics for each fold fitted without it.
Given also an exposure folder (sounds that are none of the classes; never ESC-50 clips, so every
fold may use it), a third cut abstains on clips nearer its centroids than the classes allow.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from envsound.audio import is_audio_file, iter_windows, stream_audio
from envsound.data.manifest import Manifest
from envsound.errors import RunError
from envsound.features.cache import load_or_compute
from envsound.models.background import FIT_BEDS, BackgroundDetector, fit_background
from envsound.models.calibration import EXPOSURE_CLUSTERS, Calibration, Novelty, cross_fit, exposure_centroids, fit_calibration, out_of_fold_novelty
from envsound.models.model_file import LoadedModel
from envsound.runs import RunResults, load_run, run_dataset


def feature_embeddings(loaded: LoadedModel, features: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """The model's embedding (what its novelty statistics use) of front-end ``features``: a
    network's pooled embedding, a probe's features as they are."""
    if loaded.spec.kind != "network":
        return np.asarray(features, dtype=np.float64)
    model = loaded.model
    if not hasattr(model, "forward_with_embedding"):
        raise RunError(f"model '{loaded.spec.name}' exposes no embedding for novelty")
    out = []
    with torch.inference_mode():
        for i in range(0, len(features), batch_size):
            out.append(model.forward_with_embedding(torch.from_numpy(np.array(features[i : i + batch_size], dtype=np.float32)))[1].numpy())
    return np.concatenate(out).astype(np.float64)


def clip_embeddings(loaded: LoadedModel, results: RunResults, batch_size: int = 32) -> np.ndarray:
    """The model's embedding of every clip of the run, in the run's prediction order; features
    come from the feature cache."""
    manifest = run_dataset(results.config)
    features = load_or_compute(manifest, loaded.extractor, show_progress=False).features
    index = {c.clip_id: i for i, c in enumerate(manifest.clips)}
    rows = np.array([index[c] for c in results.clip_ids])
    return feature_embeddings(loaded, np.asarray(features[rows]), batch_size)


def bed_embeddings(loaded: LoadedModel, count: int = FIT_BEDS, batch_size: int = 32) -> np.ndarray:
    """The model's embeddings of ``count`` drawn background beds, each as a whole window and as a
    2-s one (what ``timeline`` scores): the positives a background detector is fitted on."""
    from envsound.augment.noise_beds import fit_beds

    extractor = loaded.extractor
    size = round(extractor.clip_seconds * extractor.sample_rate)
    beds = np.stack([bed.signal for bed in fit_beds(count, extractor.sample_rate, seconds=extractor.clip_seconds)])[:, :size]
    short = beds[:, : min(size, round(2.0 * extractor.sample_rate))]
    out = [feature_embeddings(loaded, extractor(part[i : i + batch_size]), batch_size) for part in (beds, short) for i in range(0, len(part), batch_size)]
    return np.concatenate(out)


def dataset_groups(manifest: Manifest) -> np.ndarray:
    """Folds where the dataset has them, else its groups (one source stays on one side)."""
    if manifest.folds is not None:
        return manifest.folds
    return np.array(manifest.groups)


def fit_model_background(loaded: LoadedModel, manifest: Manifest, beds: int = FIT_BEDS) -> BackgroundDetector:
    """A background detector for ``loaded``: drawn beds against the embeddings of the clips of
    ``manifest`` (the model's training data), thresholded on clips each fit did not see."""
    features = load_or_compute(manifest, loaded.extractor, show_progress=False).features
    clips = feature_embeddings(loaded, np.asarray(features))
    return fit_background(bed_embeddings(loaded, beds), clips, dataset_groups(manifest), fitted_on=f"{beds} noise beds against the {len(manifest)} clips of {manifest.name}")


def exposure_embeddings(folder: str | Path, extractor: Any, embed: Callable[[np.ndarray], np.ndarray], batch_windows: int = 8) -> np.ndarray:
    """One embedding per audio file under ``folder``: ``embed`` of the ``extractor``'s features of
    its half-overlapping windows, averaged, as ``predict`` averages a file's windows. Files are
    streamed, ``batch_windows`` windows at a time, so memory stays flat however long a file is."""
    paths = sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_audio_file(p))
    if not paths:
        raise RunError(f"{folder}: no audio files for an exposure set")
    size = round(extractor.clip_seconds * extractor.sample_rate)
    means = []
    for path in paths:
        windows = (window for _, window in iter_windows(stream_audio(path, extractor.sample_rate), size, max(1, size // 2)))
        total, count = 0.0, 0
        while batch := list(islice(windows, batch_windows)):
            total = total + np.asarray(embed(extractor(np.stack(batch).astype(np.float32)))).sum(axis=0)
            count += len(batch)
        means.append(total / count)
    return np.stack(means)


def calibrate_run(run_dir: str | Path, recall: float = 0.95, model: LoadedModel | None = None, exposure: str | Path | None = None) -> tuple[dict, Calibration, Novelty | None]:
    """(cross-fitted figures, the calibration fitted on all out-of-fold predictions, the novelty
    statistics fitted on all clips, when ``model`` is given and has an embedding). ``exposure``: a
    folder of sounds that are none of the classes, whose centroids give the third cut."""
    results = load_run(run_dir)
    if len(results.folds) < 2:
        raise RunError(f"{run_dir}: calibration needs a run of at least two folds (each fold is calibrated from the others)")
    if exposure is not None and model is None:
        raise RunError("an exposure set needs the model whose embedding novelty reads (--model, with --novelty)")
    embeddings = clip_embeddings(model, results) if model is not None else None
    outliers = None
    if exposure is not None:
        shown = exposure_embeddings(exposure, model.extractor, lambda features: feature_embeddings(model, features))
        if len(shown) < EXPOSURE_CLUSTERS:
            raise RunError(f"{exposure}: an exposure set needs at least {EXPOSURE_CLUSTERS} sounds, found {len(shown)}")
        outliers = exposure_centroids(shown)
    figures = cross_fit(results.probs, results.targets, results.fold_of, recall, embeddings, outliers)
    n_classes = results.probs.shape[1]
    distance, exposure_scores = (None, None) if embeddings is None else out_of_fold_novelty(embeddings, results.targets, results.fold_of, n_classes, outliers=outliers)
    final = fit_calibration(results.probs, results.targets, recall, fitted_on=f"out-of-fold predictions of {Path(run_dir).name}, folds {results.folds}",
                            distance=distance, exposure=exposure_scores)
    novelty = None if embeddings is None else Novelty.fit(embeddings, results.targets, n_classes, outliers)
    return figures, final, novelty
