"""Calibration of a finished run, from its saved out-of-fold predictions (nothing is retrained).

``calibrate_run`` judges the cross-fitted calibration (each test fold scaled and thresholded from
the other folds only) and fits the one calibration a model trained on all folds would ship with,
from every fold's out-of-fold predictions: the same recipe's predictions on clips it did not see.
Given that model, "none of these" also uses novelty: the Mahalanobis distance of the model's own
embedding of a clip to the nearest class mean, its statistics for each fold fitted without it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from envsound.data import load_dataset
from envsound.errors import RunError
from envsound.features.cache import load_or_compute
from envsound.models.calibration import Calibration, Novelty, cross_fit, fit_calibration, out_of_fold_distances
from envsound.models.model_file import LoadedModel
from envsound.runs import RunResults, load_run


def clip_embeddings(loaded: LoadedModel, results: RunResults, batch_size: int = 32) -> np.ndarray:
    """The model's embedding (what its novelty statistics use) of every clip of the run, in the
    run's prediction order; features come from the feature cache."""
    run = results.config["run"]
    manifest = load_dataset(run["dataset"], run.get("data_root"))
    features = load_or_compute(manifest, loaded.extractor, show_progress=False).features
    index = {c.clip_id: i for i, c in enumerate(manifest.clips)}
    rows = np.array([index[c] for c in results.clip_ids])
    if loaded.spec.kind != "network":
        return np.asarray(features[rows], dtype=np.float64)
    model = loaded.model
    if not hasattr(model, "forward_with_embedding"):
        raise RunError(f"model '{loaded.spec.name}' exposes no embedding for novelty")
    out = []
    with torch.inference_mode():
        for i in range(0, len(rows), batch_size):
            out.append(model.forward_with_embedding(torch.from_numpy(np.asarray(features[rows[i : i + batch_size]])))[1].numpy())
    return np.concatenate(out).astype(np.float64)


def calibrate_run(run_dir: str | Path, recall: float = 0.95, model: LoadedModel | None = None) -> tuple[dict, Calibration, Novelty | None]:
    """(cross-fitted figures, the calibration fitted on all out-of-fold predictions, the novelty
    statistics fitted on all clips, when ``model`` is given and has an embedding)."""
    results = load_run(run_dir)
    if len(results.folds) < 2:
        raise RunError(f"{run_dir}: calibration needs a run of at least two folds (each fold is calibrated from the others)")
    embeddings = clip_embeddings(model, results) if model is not None else None
    figures = cross_fit(results.probs, results.targets, results.fold_of, recall, embeddings)
    n_classes = results.probs.shape[1]
    distance = None if embeddings is None else out_of_fold_distances(embeddings, results.targets, results.fold_of, n_classes)
    final = fit_calibration(results.probs, results.targets, recall, fitted_on=f"out-of-fold predictions of {Path(run_dir).name}, folds {results.folds}", distance=distance)
    novelty = None if embeddings is None else Novelty.fit(embeddings, results.targets, n_classes)
    return figures, final, novelty
