"""Calibrated confidence and "none of these": a temperature and an abstention threshold.

A classifier's top probability is only worth reading if it means what it says: of the clips
answered at 80 % confidence, about 80 % should be right. Temperature scaling (Guo et al. 2017)
rescales log-probabilities by one number fitted to minimise the negative log-likelihood of
held-out predictions; it never changes which class is on top, only how sure the model says it is.
The abstention threshold is the calibrated confidence below which a prediction is reported as
"unknown (closest: …)": chosen so that a given share of in-set clips (95 % by default) is still
answered. Both are fitted on out-of-fold predictions of training folds only (see
``evaluation/calibration.py``), never on the clips they are judged on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

TINY = 1e-12


@dataclass(frozen=True)
class Calibration:
    temperature: float = 1.0
    abstain_below: float | None = None  # calibrated top probability under which to answer "unknown"
    in_set_recall: float | None = None  # the share of in-set clips the threshold was chosen to keep
    fitted_on: str = ""  # what the numbers were fitted on, in words

    def apply(self, probs: np.ndarray) -> np.ndarray:
        return scale(probs, self.temperature)

    def abstains(self, calibrated: np.ndarray) -> np.ndarray:
        """Per row of calibrated probabilities: True where the top one is under the threshold."""
        if self.abstain_below is None:
            return np.zeros(len(np.atleast_2d(calibrated)), dtype=bool)
        return np.atleast_2d(calibrated).max(axis=1) < self.abstain_below

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Calibration | None":
        return None if not data else cls(**data)


def scale(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T): for one network the same as dividing its logits by T."""
    logp = np.log(np.clip(np.asarray(probs, dtype=np.float64), TINY, 1.0)) / temperature
    logp -= logp.max(axis=-1, keepdims=True)
    out = np.exp(logp)
    return out / out.sum(axis=-1, keepdims=True)


def nll(probs: np.ndarray, targets: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(targets)), targets], TINY, 1.0))))


def ece(probs: np.ndarray, targets: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top label: the clip-weighted mean |accuracy - confidence|
    over ``bins`` equal-width confidence bins."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == targets
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def reliability(probs: np.ndarray, targets: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean confidence, accuracy, clip count) per equal-width bin, for a reliability diagram."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == targets
    which = np.clip(np.digitize(confidence, np.linspace(0, 1, bins + 1)[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_conf = np.bincount(which, confidence, bins) / counts
        accuracy = np.bincount(which, correct.astype(float), bins) / counts
    return mean_conf, accuracy, counts


def fit_temperature(probs: np.ndarray, targets: np.ndarray) -> float:
    """The temperature (between 0.05 and 20) that minimises the NLL of ``probs`` scaled by it."""
    from scipy.optimize import minimize_scalar

    found = minimize_scalar(lambda log_t: nll(scale(probs, float(np.exp(log_t))), targets), bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(found.x))


def threshold_for_recall(calibrated: np.ndarray, recall: float = 0.95) -> float:
    """The top-probability threshold that keeps answering ``recall`` of these (in-set) clips."""
    confidence = np.sort(calibrated.max(axis=1))
    drop = int(np.floor((1.0 - recall) * len(confidence)))
    return float(confidence[drop]) if drop < len(confidence) else float(confidence[-1])


def fit_calibration(probs: np.ndarray, targets: np.ndarray, recall: float = 0.95, fitted_on: str = "") -> Calibration:
    temperature = fit_temperature(probs, targets)
    return Calibration(temperature, threshold_for_recall(scale(probs, temperature), recall), recall, fitted_on)


def cross_fit(probs: np.ndarray, targets: np.ndarray, fold_of: np.ndarray, recall: float = 0.95) -> dict:
    """Calibration judged without leaks: each test fold is scaled and thresholded with a temperature
    and threshold fitted on the *other* folds' out-of-fold predictions, then scored; the figures
    are pooled over folds. Needs at least two folds."""
    folds = sorted(int(f) for f in np.unique(fold_of))
    if len(folds) < 2:
        raise ValueError("cross-fitted calibration needs predictions of at least two folds")
    calibrated = np.empty_like(probs, dtype=np.float64)
    answered = np.zeros(len(targets), dtype=bool)
    per_fold = []
    for fold in folds:
        test = fold_of == fold
        cal = fit_calibration(probs[~test], targets[~test], recall, fitted_on=f"folds {[f for f in folds if f != fold]}")
        calibrated[test] = cal.apply(probs[test])
        answered[test] = ~cal.abstains(calibrated[test])
        per_fold.append({"fold": fold, "temperature": cal.temperature, "abstain_below": cal.abstain_below,
                         "ece": ece(probs[test], targets[test]), "ece_calibrated": ece(calibrated[test], targets[test]),
                         "coverage": float(answered[test].mean())})
    correct = calibrated.argmax(axis=1) == targets
    return {
        "ece": ece(probs, targets), "nll": nll(probs, targets),
        "ece_calibrated": ece(calibrated, targets), "nll_calibrated": nll(calibrated, targets),
        "abstain_in_set_recall": recall,
        "coverage": float(answered.mean()),
        "accuracy_answered": float(correct[answered].mean()) if answered.any() else None,
        "accuracy": float(correct.mean()),
        "per_fold": per_fold,
    }
