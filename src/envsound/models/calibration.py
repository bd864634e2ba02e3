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
    in_set_recall: float | None = None  # the share of in-set clips the thresholds were chosen to keep
    fitted_on: str = ""  # what the numbers were fitted on, in words
    distance_above: float | None = None  # embedding distance (Novelty) over which to answer "unknown"
    exposure_above: float | None = None  # exposure-relative score (Novelty.exposure) over which to answer "unknown"

    def apply(self, probs: np.ndarray) -> np.ndarray:
        return scale(probs, self.temperature)

    def abstains(self, calibrated: np.ndarray, distance: np.ndarray | None = None, exposure: np.ndarray | None = None) -> np.ndarray:
        """Per row of calibrated probabilities (and embedding distances and exposure-relative
        scores, if the model has them): True where any is on the wrong side of its threshold."""
        calibrated = np.atleast_2d(calibrated)
        out = np.zeros(len(calibrated), dtype=bool)
        if self.abstain_below is not None:
            out |= calibrated.max(axis=1) < self.abstain_below
        if self.distance_above is not None and distance is not None:
            out |= np.atleast_1d(distance) > self.distance_above
        if self.exposure_above is not None and exposure is not None:
            out |= np.atleast_1d(exposure) > self.exposure_above
        return out

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Calibration | None":
        """Read back from a file's metadata, every field checked: a file whose checksum was
        recomputed can still lie (a temperature of 0 or NaN, a threshold of 2)."""
        if not data:
            return None
        known = {f for f in cls.__dataclass_fields__}
        if not isinstance(data, dict) or set(data) - known:
            raise ValueError(f"calibration has unknown fields: {sorted(set(data) - known) if isinstance(data, dict) else type(data).__name__}")
        out = cls(**data)
        number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)  # noqa: E731
        if not (number(out.temperature) and 0.01 <= out.temperature <= 100):
            raise ValueError(f"calibration temperature must be a number from 0.01 to 100, got {out.temperature!r}")
        if out.abstain_below is not None and not (number(out.abstain_below) and 0.0 <= out.abstain_below <= 1.0):
            raise ValueError(f"calibration abstain_below must be a probability, got {out.abstain_below!r}")
        for name in ("distance_above", "exposure_above"):
            value = getattr(out, name)
            if value is not None and not number(value):
                raise ValueError(f"calibration {name} must be a finite number, got {value!r}")
        if out.in_set_recall is not None and not (number(out.in_set_recall) and 0.0 < out.in_set_recall <= 1.0):
            raise ValueError(f"calibration in_set_recall must be in (0, 1], got {out.in_set_recall!r}")
        return out


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
    return top_label_ece(probs.max(axis=1), probs.argmax(axis=1) == targets, bins)


def top_label_ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """``ece`` from each clip's top probability and whether its top label was right (what a
    caller that kept only the top label has)."""
    confidence, correct = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=bool)
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


def fit_calibration(probs: np.ndarray, targets: np.ndarray, recall: float = 0.95, fitted_on: str = "", distance: np.ndarray | None = None,
                    exposure: np.ndarray | None = None) -> Calibration:
    """Temperature, then thresholds keeping ``recall`` of these clips answered: on confidence alone,
    or jointly with out-of-fold embedding ``distance`` (and ``exposure`` scores) when given."""
    temperature = fit_temperature(probs, targets)
    confidence = scale(probs, temperature).max(axis=1)
    if distance is not None and exposure is not None:
        t_conf, t_neg_dist, t_neg_exp = common_quantile_thresholds([confidence, -np.asarray(distance), -np.asarray(exposure)], recall)
        return Calibration(temperature, t_conf, recall, fitted_on, -t_neg_dist, -t_neg_exp)
    t_conf, t_dist = joint_thresholds(confidence, distance, recall)
    return Calibration(temperature, t_conf, recall, fitted_on, t_dist)


def out_of_fold_novelty(embeddings: np.ndarray, targets: np.ndarray, fold_of: np.ndarray, n_classes: int, leave_out: int | None = None,
                        outliers: np.ndarray | None = None, shrinkage: str = "fixed", exposure_form: str = "difference") -> tuple[np.ndarray, np.ndarray | None]:
    """Each clip's novelty distance (and, with exposure ``outliers``, its exposure-relative score)
    from class statistics fitted without its own fold (and without fold ``leave_out``): what a
    model that never heard the clip would measure."""
    distance = np.full(len(targets), np.nan)
    exposure = None if outliers is None else np.full(len(targets), np.nan)
    for fold in np.unique(fold_of):
        if fold == leave_out:
            continue
        fit_on = (fold_of != fold) & (fold_of != leave_out) if leave_out is not None else fold_of != fold
        novelty = Novelty.fit(embeddings[fit_on], targets[fit_on], n_classes, outliers, shrinkage, exposure_form)
        held_distance, held_exposure = novelty.scores(embeddings[fold_of == fold])
        distance[fold_of == fold] = held_distance
        if exposure is not None:
            exposure[fold_of == fold] = held_exposure
    return distance, exposure


def cross_fit(probs: np.ndarray, targets: np.ndarray, fold_of: np.ndarray, recall: float = 0.95, embeddings: np.ndarray | None = None,
              outliers: np.ndarray | None = None) -> dict:
    """Calibration judged without leaks: each test fold is scaled and thresholded with a temperature
    and threshold(s) fitted on the *other* folds' out-of-fold predictions (and, with ``embeddings``,
    novelty distances from statistics that never saw the test fold; ``outliers``: exposure-set
    centroids, which are not ESC-50 clips and so serve every fold), then scored; the figures are
    pooled over folds. Needs at least two folds (three with embeddings)."""
    folds = sorted(int(f) for f in np.unique(fold_of))
    if len(folds) < 2 or (embeddings is not None and len(folds) < 3):
        raise ValueError("cross-fitted calibration needs predictions of at least two folds")
    n_classes = probs.shape[1]
    calibrated = np.empty_like(probs, dtype=np.float64)
    answered = np.zeros(len(targets), dtype=bool)
    per_fold = []
    for fold in folds:
        test = fold_of == fold
        distance = exposure = test_distance = test_exposure = None
        if embeddings is not None:
            distance, exposure = out_of_fold_novelty(embeddings, targets, fold_of, n_classes, leave_out=fold, outliers=outliers)
            distance, exposure = distance[~test], None if exposure is None else exposure[~test]
            novelty = Novelty.fit(embeddings[~test], targets[~test], n_classes, outliers)
            test_distance, test_exposure = novelty.scores(embeddings[test])
        cal = fit_calibration(probs[~test], targets[~test], recall, fitted_on=f"folds {[f for f in folds if f != fold]}", distance=distance, exposure=exposure)
        calibrated[test] = cal.apply(probs[test])
        answered[test] = ~cal.abstains(calibrated[test], test_distance, test_exposure)
        per_fold.append({"fold": fold, "temperature": cal.temperature, "abstain_below": cal.abstain_below, "distance_above": cal.distance_above, "exposure_above": cal.exposure_above,
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


@dataclass(frozen=True)
class Novelty:
    """How far a clip's embedding lies from every class the model knows: the Mahalanobis distance
    to the nearest class mean, with one covariance shared by all classes (Lee et al. 2018), shrunk
    towards its mean variance so it inverts on a few thousand clips. Large means "none of these".

    With ``outliers`` (centroids of an exposure set: sounds known to be none of the classes, see
    ``exposure_centroids``) it also gives ``exposure``: the squared distance to the nearest class
    mean minus the one to the nearest outlier centroid, in the same metric. Known classes against
    known non-classes (outlier exposure, Hendrycks et al. 2019): music or a desktop chime that lies
    no farther from "dog" than a real bark does is still nearer to the music the model was shown.
    It is a third cut beside confidence and distance, not a replacement for the distance: alone it
    let more unknown ESC-50 classes through (benchmarks/results/open_set.json, rule oe).
    ``exposure_form``: "difference" (the two squared distances subtracted) or "log_ratio" (the log
    of their ratio: unchanged when both distances scale together, as they do when statistics of
    more clips tighten the covariance; benchmarks/custom_classes.py's arm 'ratio')."""

    means: np.ndarray  # (classes, dim)
    precision: np.ndarray  # (dim, dim): the inverse of the shrunk shared covariance
    outliers: np.ndarray | None = None  # (centroids, dim) of an exposure set, or None
    exposure_form: str = "difference"

    SHRINKAGE = 1e-3  # a share of the mean variance added to the diagonal; fixed before any measurement
    SHRINKAGES = ("fixed", "ledoit-wolf")
    EXPOSURE_FORMS = ("difference", "log_ratio")

    @classmethod
    def fit(cls, embeddings: np.ndarray, targets: np.ndarray, n_classes: int, outliers: np.ndarray | None = None, shrinkage: str = "fixed",
            exposure_form: str = "difference") -> "Novelty":
        """``shrinkage``: "fixed" adds ``SHRINKAGE`` of the mean variance to the diagonal (what
        ESC-50-sized data was measured with); "ledoit-wolf" picks the share from the data
        (Ledoit and Wolf 2004): near none on thousands of clips, most of it on forty."""
        if shrinkage not in cls.SHRINKAGES:
            raise ValueError(f"unknown shrinkage {shrinkage!r}; known: {', '.join(cls.SHRINKAGES)}")
        embeddings = np.asarray(embeddings, dtype=np.float64)
        means = np.stack([embeddings[targets == c].mean(axis=0) if (targets == c).any() else np.full(embeddings.shape[1], np.inf) for c in range(n_classes)])
        known = np.isfinite(means[:, 0])
        centred = embeddings - means[targets]
        cov = np.atleast_2d(np.cov(centred.T))
        spread = np.trace(cov) / len(cov)
        if shrinkage == "ledoit-wolf" and spread > 0:
            from sklearn.covariance import ledoit_wolf

            cov = np.atleast_2d(ledoit_wolf(centred, assume_centered=True)[0])
        else:  # one clip per class leaves no spread to measure: unit variance then, so the distance is still defined
            cov += (cls.SHRINKAGE * spread if spread > 0 else 1.0) * np.eye(len(cov))
        return cls(means[known], np.linalg.inv(cov), None if outliers is None else np.asarray(outliers, dtype=np.float64), exposure_form)

    def __post_init__(self) -> None:
        if self.exposure_form not in self.EXPOSURE_FORMS:
            raise ValueError(f"unknown exposure form {self.exposure_form!r}; known: {', '.join(self.EXPOSURE_FORMS)}")
        # (x - m)' P (x - m) = x'Px - 2 x'(Pm) + m'Pm: two matrix products per batch instead of a
        # (windows x classes x dim x dim) contraction, which cost 6 ms per window on the shipped model.
        for name, centres in (("", self.means), ("outlier_", self.outliers)):
            if centres is None:
                continue
            projected = centres @ self.precision  # P is symmetric, so this is (P m)' row by row
            object.__setattr__(self, f"_{name}projected", projected)
            object.__setattr__(self, f"_{name}terms", np.einsum("ci,ci->c", projected, centres))

    def _nearest(self, x: np.ndarray, own: np.ndarray, projected: np.ndarray, terms: np.ndarray) -> np.ndarray:
        return np.maximum(own[:, None] - 2.0 * x @ projected.T + terms[None], 0.0).min(axis=1)

    def distance(self, embeddings: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance to the nearest class mean."""
        return self.scores(embeddings)[0]

    def exposure(self, embeddings: np.ndarray) -> np.ndarray | None:
        """distance against the squared distance to the nearest exposure centroid, by
        ``exposure_form`` (large: more like the sounds known to be none of the classes); None
        without an exposure set."""
        return self.scores(embeddings)[1]

    def scores(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(distance, exposure) from one pass over the embeddings: what every abstaining caller needs."""
        x = np.asarray(embeddings, dtype=np.float64)
        own = np.einsum("ni,ni->n", x @ self.precision, x)
        known = self._nearest(x, own, self._projected, self._terms)
        if self.outliers is None:
            return known, None
        nearest_outlier = self._nearest(x, own, self._outlier_projected, self._outlier_terms)
        if self.exposure_form == "log_ratio":
            return known, np.log(np.maximum(known, TINY_DISTANCE)) - np.log(np.maximum(nearest_outlier, TINY_DISTANCE))
        return known, known - nearest_outlier


TINY_DISTANCE = 1e-12  # a squared distance this small is zero: the log ratio stays finite
EXPOSURE_CLUSTERS = 8  # k-means centroids of an exposure set; fixed before any measurement (benchmarks/trust.sh, item 9)


def exposure_centroids(embeddings: np.ndarray, clusters: int = EXPOSURE_CLUSTERS, seed: int = 0) -> np.ndarray:
    """Centroids of an exposure set's embeddings: a few outlier "classes" of about as many clips
    as a known class has, so that both sides of the relative score are distances to means."""
    from sklearn.cluster import KMeans

    embeddings = np.asarray(embeddings, dtype=np.float64)
    if len(embeddings) < clusters:
        raise ValueError(f"an exposure set needs at least {clusters} sounds, got {len(embeddings)}")
    return KMeans(clusters, n_init=10, random_state=seed).fit(embeddings).cluster_centers_


def joint_thresholds(confidence: np.ndarray, distance: np.ndarray | None, recall: float = 0.95) -> tuple[float, float | None]:
    """(confidence threshold, distance threshold): both rules cut at the same quantile q of these
    in-set clips, q chosen so that ``recall`` of them pass both."""
    if distance is None:
        return threshold_for_recall(confidence[:, None], recall), None
    t_conf, t_neg_dist = common_quantile_thresholds([confidence, -np.asarray(distance)], recall)
    return t_conf, -t_neg_dist


def common_quantile_thresholds(scores: list[np.ndarray], recall: float = 0.95) -> list[float]:
    """Lower bounds, one per score (each: higher means more like the known classes), all at the same
    quantile q of these in-set clips, q chosen by bisection so that ``recall`` of them pass every one."""
    scores = [np.asarray(score, dtype=np.float64) for score in scores]
    low, high = 0.0, 1.0 - recall
    for _ in range(40):
        q = (low + high) / 2
        kept = np.mean(np.all([score >= np.quantile(score, q) for score in scores], axis=0))
        low, high = (q, high) if kept > recall else (low, q)
    return [float(np.quantile(score, low)) for score in scores]
