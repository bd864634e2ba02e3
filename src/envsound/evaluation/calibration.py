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

from pathlib import Path
from typing import Any, Callable

import numpy as np

from envsound.audio import is_audio_file, stream_audio
from envsound.errors import RunError
from envsound.features.cache import load_or_compute
from envsound.models.calibration import EXPOSURE_CLUSTERS, Calibration, Novelty, cross_fit, exposure_centroids, fit_calibration, out_of_fold_novelty
from envsound.models.model_file import LoadedModel
from envsound.models.windowing import Windowing
from envsound.runs import RunResults, load_run, run_dataset


def clip_embeddings(loaded: LoadedModel, results: RunResults, batch_size: int = 32) -> np.ndarray:
    """The model's embedding of every clip of the run, in the run's prediction order; features
    come from the feature cache."""
    manifest = run_dataset(results.config)
    features = load_or_compute(manifest, loaded.extractor, show_progress=False).features
    index = {c.clip_id: i for i, c in enumerate(manifest.clips)}
    rows = np.array([index[c] for c in results.clip_ids])
    return loaded.embeddings(np.asarray(features[rows]), batch_size)


def exposure_embeddings(folder: str | Path, extractor: Any, embed: Callable[[np.ndarray], np.ndarray], batch_windows: int = 8) -> np.ndarray:
    """One embedding per audio file under ``folder``: ``embed`` of the ``extractor``'s features of
    its half-overlapping windows, averaged, as ``predict`` averages a file's windows. Files are
    streamed, ``batch_windows`` windows at a time, so memory stays flat however long a file is."""
    paths = sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_audio_file(p))
    if not paths:
        raise RunError(f"{folder}: no audio files for an exposure set")
    windowing = Windowing.of_model(extractor)
    means = []
    for path in paths:
        total, count = 0.0, 0
        for _, batch in windowing.batches(stream_audio(path, extractor.sample_rate), batch_windows):
            total = total + np.asarray(embed(extractor(batch))).sum(axis=0)
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
        shown = exposure_embeddings(exposure, model.extractor, model.embeddings)
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
