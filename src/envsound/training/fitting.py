"""The one fit path: a model spec, a config and training clips in; a fitted model out.

Cross-validation (one fit per fold) and ``train`` (one fit on everything) both come here, so a
scikit-learn pipeline and a network are fitted, seeded and scored the same way whichever asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from envsound.config import RunConfig
from envsound.errors import ConfigError
from envsound.models.registry import ModelSpec
from envsound.training.loop import EpochCallback, evaluate, train_network


@dataclass
class Fitted:
    model: Any  # nn.Module in eval mode, or a fitted estimator
    history: dict = field(default_factory=dict)  # per-epoch curves (networks)
    tuned: dict | None = None  # hyperparameters an inner search chose (classic models)


def fit_model(spec: ModelSpec, cfg: RunConfig, x: np.ndarray, y: np.ndarray, groups: np.ndarray, n_classes: int, checkpoint: Path | None = None,
              x_val: np.ndarray | None = None, y_val: np.ndarray | None = None, on_epoch: EpochCallback | None = None,
              units_per_db: float | None = None, identity: str | None = None, soft_targets: np.ndarray | None = None,
              teacher: torch.nn.Module | None = None, weights: np.ndarray | None = None) -> Fitted:
    """Fit a fresh ``spec`` model on ``x``, ``y``. ``groups`` (the training clips' fold ids) keep an
    inner hyperparameter search from splitting a fold; ``x_val`` is only watched, never fitted.
    ``soft_targets``: per-clip target distributions (a teacher's, blended), for networks only;
    ``teacher``: a network that scores each augmented batch instead (consistent distillation).
    ``weights``: each clip's weight (``copy_weights``), for scikit-learn models only."""
    torch.manual_seed(cfg.train.seed)
    model = spec.build(n_classes, cfg)
    weighted = weights is not None and not np.all(weights == 1.0)
    if spec.kind == "classic":
        if soft_targets is not None or teacher is not None:
            raise ConfigError(f"{spec.name} is fitted by scikit-learn on hard labels; distillation needs a network")
        return Fitted(model, tuned=fit_classic(model, x, y, groups, weights if weighted else None))
    if weighted:
        raise ConfigError(f"copy_weight weighs a scikit-learn fit's clips; {spec.name} is a network (leave copy_weight at 1)")
    def as_tensor(a: np.ndarray | None) -> torch.Tensor | None:  # torch refuses read-only memmaps: copy those
        return None if a is None else torch.from_numpy(a if a.flags.writeable and a.flags.c_contiguous else np.array(a))

    history = train_network(model, as_tensor(x), as_tensor(y), cfg.train, n_classes, checkpoint, as_tensor(x_val), as_tensor(y_val),
                            on_epoch=on_epoch, units_per_db=units_per_db, identity=identity, soft_targets=as_tensor(soft_targets), teacher=teacher)
    model.eval()
    return Fitted(model, history.to_dict())


def predict_proba(spec: ModelSpec, model: Any, x: np.ndarray, n_classes: int) -> np.ndarray:
    """(clips, n_classes) probabilities; a class missing from a fold's training set gets 0."""
    if spec.kind == "network":
        return evaluate(model, torch.from_numpy(np.ascontiguousarray(x)))[0]
    probs = model.predict_proba(x)
    full = np.zeros((len(x), n_classes), dtype=np.float64)
    full[:, getattr(model, "classes_", np.arange(n_classes))] = probs
    return full


def fit_classic(estimator: Any, x: np.ndarray, y: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None) -> dict | None:
    """Fit; a grid search gets the training clips' fold ids, so its inner splits are by fold.
    ``weights``: each clip's sample weight, given to the pipeline's last step (a search splits
    them with its folds).

    Returns the chosen hyperparameters (JSON-friendly), or None for an untuned estimator.
    """
    from sklearn.model_selection import BaseCrossValidator
    from sklearn.model_selection._search import BaseSearchCV
    from sklearn.pipeline import Pipeline

    searched = estimator.estimator if isinstance(estimator, BaseSearchCV) else estimator
    weighted = {} if weights is None else {(f"{searched.steps[-1][0]}__sample_weight" if isinstance(searched, Pipeline) else "sample_weight"): weights}
    if isinstance(estimator, BaseSearchCV):
        if isinstance(estimator.cv, BaseCrossValidator) and hasattr(estimator.cv, "n_splits"):
            estimator.cv.n_splits = min(estimator.cv.n_splits, len(np.unique(groups)))
        estimator.fit(x, y, groups=groups, **weighted)
        return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)) for k, v in estimator.best_params_.items()}
    estimator.fit(x, y, **weighted)
    return None


def copy_weights(manifest: Any, copy_weight: float) -> np.ndarray:
    """Each clip's weight in a fit, in manifest order: ``copy_weight`` for an augmented copy (a clip
    with a ``source``), 1 for a clip as recorded."""
    return np.array([copy_weight if clip.source else 1.0 for clip in manifest.clips])
