"""Calibration of a finished run, from its saved out-of-fold predictions (nothing is retrained).

``calibrate_run`` judges the cross-fitted calibration (each test fold scaled and thresholded from
the other folds only) and fits the one calibration a model trained on all folds would ship with,
from every fold's out-of-fold predictions: the same recipe's predictions on clips it did not see.
"""

from __future__ import annotations

from pathlib import Path

from envsound.errors import RunError
from envsound.models.calibration import Calibration, cross_fit, fit_calibration
from envsound.runs import load_run


def calibrate_run(run_dir: str | Path, recall: float = 0.95) -> tuple[dict, Calibration]:
    """(cross-fitted figures, the calibration fitted on all out-of-fold predictions)."""
    results = load_run(run_dir)
    if len(results.folds) < 2:
        raise RunError(f"{run_dir}: calibration needs a run of at least two folds (each fold is calibrated from the others)")
    figures = cross_fit(results.probs, results.targets, results.fold_of, recall)
    final = fit_calibration(results.probs, results.targets, recall, fitted_on=f"out-of-fold predictions of {Path(run_dir).name}, folds {results.folds}")
    return figures, final
