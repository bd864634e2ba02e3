"""The plain ``envsound train DATA --out m.pt``: a model of a user's own classes that can be trusted.

Named no recipe, ``train`` fits the frozen AudioSet backbone's linear probe (what few clips a
class has are enough for it: a 5-way 8-shot test put it at 40 of 40 where the scratch CNN got
82.5 %), folded into a network so every command takes it (timeline, listen, serve, ONNX export),
and always writes it calibrated and abstaining:
- temperature and "unknown" thresholds fitted on out-of-fold predictions of group-aware folds of
  the training clips (files of one source stay on one side), with novelty statistics and an
  outlier-exposure cut (shipped centroids of sounds that are none of any user's classes);
- a background detector ("no event here") fitted against drawn noise beds, and against the user's
  negatives when there are some (a ``background/`` or ``_none/`` subfolder, or ``--negatives DIR``:
  the sounds of the place, which should not be named), so those are answered ``background``;
- guards: too few clips in a class, a temperature on its search bound, or held-out folds with no
  mistake each give one warning line and a documented conservative setting (below), never a
  degenerate one (a temperature of 0.05 made every probability read 0 or 100 %).
Larger datasets get the same recipe; a fine-tuning rule by size is not measured yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Sequence

import numpy as np

from envsound.config import RunConfig
from envsound.data.manifest import Manifest
from envsound.errors import DatasetError
from envsound.features.cache import load_or_compute
from envsound.models.background import BackgroundDetector, event_windows, fit_background
from envsound.models.calibration import Calibration, Novelty, common_quantile_thresholds, fit_calibration, out_of_fold_novelty
from envsound.models.model_file import save_model
from envsound.models.registry import get_model, model_license, resolve
from envsound.models.windowing import Windowing

DEFAULT_RECIPE = "mn04_probe"
MIN_CLIPS_PER_CLASS = 5  # fewer: a warning (answers of that class are a guess at its spread)
MIN_CLIPS_TO_CALIBRATE = 3  # fewer: held-out folds would train on one clip of a class, and thresholds fitted there reject everything
MAX_INNER_FOLDS = 5
TEMPERATURE_BOUNDS = (0.06, 18.0)  # fit_temperature searches 0.05-20; this close to an end it found no optimum
CONSERVATIVE_TEMPERATURE = 1.0  # the probe's own probabilities, which logistic regression keeps honest
CONSERVATIVE_ABSTAIN_BELOW = 0.5  # with no usable held-out errors: answer only when one class has most of the mass
RECALL = 0.95
# A measured calibration needs at least this many wrong held-out clips; with fewer the temperature
# rests on one or two clips and the conservative setting is used (benchmarks/custom_classes.py's arm
# 'measurable' measured 2 against 1, i.e. "no mistake", with CONSERVATIVE_CUTS "joint": not kept).
MIN_HELD_OUT_ERRORS = 1
# The conservative setting's two cuts (confidence, distance): "separate", each at its own quantile
# keeping RECALL of held-out clips (together they keep fewer, about 90 % of 40 clips); "joint", at
# one common quantile keeping RECALL of them past both, as the measured setting does (arm 'measurable':
# at 5-way 8-shot fewer in-class clips right and fewer negatives rejected, so "separate" stays).
CONSERVATIVE_CUTS = "separate"
PROBE_CV_FOLDS = 3  # the probe's inner CV for C (models/classic.linear_probe)
SMALL_DATA_C = 0.1  # C when there are too few clips to choose it: what the probe chose on all of ESC-50
# The novelty cut's covariance (models/calibration.Novelty.fit): benchmarks/custom_classes.py's arm
# 'ledoitwolf' measures the data-chosen shrinkage against the fixed one ESC-50's models use.
NOVELTY_SHRINKAGE = "fixed"
# Whose held-out distances set the novelty cut: the inner "folds" (statistics from about 4/5 of the
# clips), or each source "groups" left out alone (statistics from all but one source: nearer the
# shipped model's, which uses every clip), up to NOVELTY_GROUPS_AT_MOST sources.
# benchmarks/custom_classes.py's arm 'groups' measures the second against the first.
NOVELTY_HELD_OUT = "folds"
NOVELTY_GROUPS_AT_MOST = 200
# The outlier-exposure cut beside confidence and distance: centroids (models/calibration.
# exposure_centroids) of sounds known to be none of any user's classes, in the frozen embedding the
# probe reads. "shipped": EXPOSURE_ASSET (scripts/build_exposure_centroids.py), used when the probe
# reads its checkpoint and view; None: no third cut (the recipe before benchmarks/custom_classes.py's
# arm 'exposure' was kept, 2026-12-07); an array: those centroids (the benchmark's arm).
EXPOSURE_ASSET = Path(__file__).resolve().parent.parent / "assets" / "exposure-mn04_as.npz"
EXPOSURE_CENTROIDS: np.ndarray | str | None = "shipped"
# How the third cut's score compares the two distances (models/calibration.Novelty.exposure_form):
# "log_ratio", kept by benchmarks/custom_classes.py's arm 'ratio' (2026-12-07): its held-out
# threshold carries over to the model fitted on every clip (10-way 32-shot, 320 clips: 92.4 % of
# in-class clips right and 89.4 % of negatives rejected), where the "difference" misfired (81.5 %
# right) and was used only up to 160 clips. Hence no clip limit (None; an int: the cut only up to
# that many clips, what 'guarded' measured).
EXPOSURE_FORM = "log_ratio"
EXPOSURE_AT_MOST_CLIPS: int | None = None
NEGATIVE_WINDOWS_PER_FILE = 12  # clip-length windows read from each negative file (a long room tone gives several)


@dataclass
class Trust:
    calibration: Calibration
    novelty: Novelty | None
    background: BackgroundDetector
    warnings: list[str] = field(default_factory=list)
    held_out_accuracy: float | None = None
    inner_folds: int = 0


def inner_folds(manifest: Manifest, seed: int = 0) -> np.ndarray | None:
    """Group-aware stratified folds of the training clips (as many as the smallest class allows,
    2-5); None when a class has one clip (or one source) and nothing can be held out."""
    from sklearn.model_selection import StratifiedGroupKFold

    counts = np.bincount(manifest.targets, minlength=len(manifest.classes))
    groups = manifest.groups
    k = int(min(MAX_INNER_FOLDS, counts.min(), len(set(groups))))
    if k < 2 or counts.min() < MIN_CLIPS_TO_CALIBRATE:
        return None
    folds = np.zeros(len(manifest), dtype=np.int64)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(manifest)), manifest.targets, groups), start=1):
        folds[test] = fold
    return folds


def negative_embeddings(paths: Sequence[Path], extractor) -> np.ndarray | None:
    """The frozen embedding of clip-length windows of the user's negatives (up to
    ``NEGATIVE_WINDOWS_PER_FILE`` each) and of their first 2 s (timeline's window); None without any."""
    from envsound.audio import stream_audio

    rate = extractor.sample_rate
    clips = Windowing.of(rate, extractor.clip_seconds, hop_seconds=extractor.clip_seconds)  # side by side: distinct stretches of each file
    windows = [window for path in paths for _, window in islice(clips.windows(stream_audio(path, rate)), NEGATIVE_WINDOWS_PER_FILE)]
    if not windows:
        return None
    stacked = np.stack(windows)
    parts = [extractor(chunk) for piece in (stacked, stacked[:, : round(2.0 * rate)]) for chunk in np.array_split(piece, max(1, len(piece) // 32))]
    return np.concatenate(parts).astype(np.float64)


def shipped_exposure(path: Path, features: object, dim: int) -> np.ndarray | None:
    """The centroids in ``path`` when they were made in the embedding ``features`` describes
    (checkpoint, views, ``dim``), else None; every field checked (a file can lie), nothing unpickled."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            centroids = np.asarray(data["centroids"], dtype=np.float64)
            checkpoint, views = str(data["checkpoint"]), tuple(str(v) for v in np.atleast_1d(data["views"]))
    except (OSError, KeyError, ValueError) as err:
        raise DatasetError(f"{path}: not an exposure-centroids file ({type(err).__name__}: {err})") from None
    if centroids.ndim != 2 or not len(centroids) or not np.all(np.isfinite(centroids)):
        raise DatasetError(f"{path}: exposure centroids must be a finite (centroids, dim) array, got shape {centroids.shape}")
    if checkpoint != getattr(features, "checkpoint", None) or views != tuple(getattr(features, "views", ())) or centroids.shape[1] != dim:
        return None
    return centroids


def exposure_for(features: object, dim: int) -> np.ndarray | None:
    """The centroids the recipe's third cut uses (``EXPOSURE_CENTROIDS``), or None."""
    if isinstance(EXPOSURE_CENTROIDS, str):
        return shipped_exposure(EXPOSURE_ASSET, features, dim)
    return EXPOSURE_CENTROIDS


def fit_trust(x: np.ndarray, y: np.ndarray, folds: np.ndarray, n_classes: int, chosen_c: float, bed_x: np.ndarray, classes: tuple[str, ...],
              event_x: np.ndarray, groups: Sequence[str] | None = None, outliers: np.ndarray | None = None) -> Trust:
    """Calibration, novelty and background for a probe on embeddings ``x``, from its out-of-fold
    predictions; ``outliers``: exposure centroids, for a third cut."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    notes: list[str] = []
    oof = np.zeros((len(y), n_classes))
    for k in np.unique(folds):
        held = folds == k
        inner = make_pipeline(StandardScaler(), LogisticRegression(C=chosen_c, max_iter=3000)).fit(x[~held], y[~held])
        oof[np.ix_(held, inner[-1].classes_)] = inner.predict_proba(x[held])
    counts = np.bincount(y, minlength=n_classes)
    few = [classes[c] for c in np.flatnonzero(counts < MIN_CLIPS_PER_CLASS)]
    if few:
        notes.append(f"{len(few)} class(es) with fewer than {MIN_CLIPS_PER_CLASS} clips ({', '.join(few[:5])}): their answers and 'unknown' rest on very little; add clips")
    distance, exposure = out_of_fold_novelty(x, y, novelty_held_out(folds, groups), n_classes, outliers=outliers, shrinkage=NOVELTY_SHRINKAGE,
                                             exposure_form=EXPOSURE_FORM)
    distance = _finite(distance)
    fitted_on = f"out-of-fold predictions of {len(np.unique(folds))} group-aware folds of the training clips"
    calibration = fit_calibration(oof, y, RECALL, fitted_on=fitted_on, distance=distance, exposure=None if exposure is None else _finite(exposure))
    accuracy = float((oof.argmax(axis=1) == y).mean())
    errors = int((oof.argmax(axis=1) != y).sum())
    low, high = TEMPERATURE_BOUNDS
    if not low <= calibration.temperature <= high or errors < MIN_HELD_OUT_ERRORS:
        why = ("no held-out clip was wrong" if errors == 0 else f"only {errors} held-out clip(s) wrong" if errors < MIN_HELD_OUT_ERRORS
               else f"the temperature reached its search bound ({calibration.temperature:.3g})")
        notes.append(f"calibration is not measurable here ({why}): using temperature {CONSERVATIVE_TEMPERATURE:g} and 'unknown' below "
                     f"{CONSERVATIVE_ABSTAIN_BELOW:g}, plus the novelty cut; more clips per class make it measurable")
        confidence = Calibration(CONSERVATIVE_TEMPERATURE).apply(oof).max(axis=1)
        if CONSERVATIVE_CUTS == "joint":
            at_conf, at_neg_distance = common_quantile_thresholds([confidence, -distance], RECALL)
        else:
            at_conf, at_neg_distance = float(np.quantile(confidence, 1 - RECALL)), float(np.quantile(-distance, 1 - RECALL))
        calibration = Calibration(CONSERVATIVE_TEMPERATURE, max(CONSERVATIVE_ABSTAIN_BELOW, at_conf), RECALL,
                                  fitted_on + " (conservative: see the warning at training)", -at_neg_distance)
    novelty = Novelty.fit(x, y, n_classes, outliers=outliers, shrinkage=NOVELTY_SHRINKAGE, exposure_form=EXPOSURE_FORM)
    background = fit_background(bed_x, np.concatenate([x, event_x]), np.concatenate([folds, folds]),
                                fitted_on=f"noise beds against the {len(y)} training clips and their loudest 2-s windows")
    return Trust(calibration, novelty, background, notes, accuracy, int(len(np.unique(folds))))


def _finite(scores: np.ndarray) -> np.ndarray:
    """Held-out scores with the undefined ones (a class absent from a clip's training side) set to the largest defined one."""
    return np.where(np.isfinite(scores), scores, np.nanmax(np.where(np.isfinite(scores), scores, np.nan)))


def novelty_held_out(folds: np.ndarray, groups: Sequence[str] | None) -> np.ndarray:
    """What each clip is held out with when its novelty distance is measured (``NOVELTY_HELD_OUT``)."""
    if NOVELTY_HELD_OUT == "groups" and groups is not None and len(set(groups)) <= NOVELTY_GROUPS_AT_MOST:
        return np.unique(np.asarray(groups, dtype=str), return_inverse=True)[1]
    return folds


def unmeasured_trust(x: np.ndarray, y: np.ndarray, n_classes: int, bed_x: np.ndarray, event_x: np.ndarray) -> Trust:
    """Fewer than 3 clips in some class: nothing useful can be held out, so the conservative setting, said aloud."""
    note = (f"a class has fewer than {MIN_CLIPS_TO_CALIBRATE} clips: calibration cannot be measured; using temperature {CONSERVATIVE_TEMPERATURE:g}, 'unknown' below "
            f"{CONSERVATIVE_ABSTAIN_BELOW:g} and no novelty cut. Answers from one or two examples per class are a guess: add clips")
    calibration = Calibration(CONSERVATIVE_TEMPERATURE, CONSERVATIVE_ABSTAIN_BELOW, None, "conservative: too few clips in a class (see the warning at training)")
    groups = np.arange(len(y)) % min(MAX_INNER_FOLDS, len(y))
    background = fit_background(bed_x, np.concatenate([x, event_x]), np.concatenate([groups, groups]),
                                fitted_on=f"noise beds against the {len(y)} training clips and their loudest 2-s windows")
    return Trust(calibration, None, background, [note], None, 0)  # no spread to measure a distance against


def train_default(manifest: Manifest, out: str | Path, cfg: RunConfig, command: str | None = None, calibrate: bool = True,
                  say=print, negatives: Sequence[str | Path] = ()) -> Path:
    """The default recipe on ``manifest``: probe, network form, calibration, novelty, background;
    ``negatives``: audio files that are none of the classes (never a class; fitted as background)."""
    from envsound.augment.noise_beds import fit_beds
    from envsound.models.background import FIT_BEDS
    from envsound.models.pretrained import classifier_from_probe
    from envsound.runs import environment

    started = time.perf_counter()
    probe_cfg = resolve(cfg.with_train(model=DEFAULT_RECIPE))
    spec = get_model(DEFAULT_RECIPE)
    extractor = spec.extractor(probe_cfg)
    x = np.asarray(load_or_compute(manifest, extractor, show_progress=False).features, dtype=np.float64)
    y, n = manifest.targets, len(manifest.classes)
    if len(set(y.tolist())) < 2:
        raise DatasetError(f"dataset '{manifest.name}' has clips of one class; a classifier needs at least two")
    counts = np.bincount(y, minlength=n)
    if counts.min() >= PROBE_CV_FOLDS:
        probe = spec.build(n, probe_cfg)
        probe.fit(x, y)
        chosen_c = float(np.ravel(probe[-1].C_)[0])
    else:  # too few clips for the probe's inner 3-fold choice of C: the value ESC-50's probe chose
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        chosen_c = SMALL_DATA_C
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=chosen_c, max_iter=3000)).fit(x, y)
        say(f"warning: a class has fewer than {PROBE_CV_FOLDS} clips: the probe's regularisation is fixed (C {chosen_c:g}) instead of chosen on your clips")
    network = classifier_from_probe(probe, n).eval()
    trust = None
    if calibrate:
        rate = extractor.sample_rate
        beds = np.stack([b.signal for b in fit_beds(FIT_BEDS // 2, rate, seconds=extractor.clip_seconds)])
        bed_x = np.concatenate([extractor(beds), extractor(beds[:, : round(2.0 * rate)])]).astype(np.float64)
        event_x = extractor(event_windows(manifest, rate)).astype(np.float64)  # each clip's loudest 2 s: an event too
        negative_x = negative_embeddings([Path(p) for p in negatives], extractor)
        if negative_x is not None:  # the user's "none of these": beside the drawn beds, what background sounds like here
            bed_x = np.concatenate([bed_x, negative_x])
        folds = inner_folds(manifest, cfg.train.seed)
        outliers = exposure_for(probe_cfg.features, x.shape[1]) if EXPOSURE_AT_MOST_CLIPS is None or len(y) <= EXPOSURE_AT_MOST_CLIPS else None
        trust = (fit_trust(x, y, folds, n, chosen_c, bed_x, manifest.classes, event_x, manifest.groups, outliers) if folds is not None
                 else unmeasured_trust(x, y, n, bed_x, event_x))
        for note in trust.warnings:
            say(f"warning: {note}")
    net_cfg = resolve(cfg.with_train(model="mn04_finetune"))
    info = {"dataset": manifest.name, "clips": len(manifest), "negatives": len(negatives), "how": f"the default recipe: linear probe (C {chosen_c:g} by inner CV) on frozen mn04_as embeddings, folded into the network",
            "recipe": DEFAULT_RECIPE, "chosen_C": chosen_c, "train_seconds": round(time.perf_counter() - started, 1), "command": command,
            "environment": environment(), "license": model_license(net_cfg, manifest.name)}
    if trust is not None and trust.novelty is not None and trust.novelty.outliers is not None and trust.calibration.exposure_above is not None:
        info["exposure"] = f"{len(trust.novelty.outliers)} centroids of sounds that are none of any user's classes (outlier exposure)"
    if trust is not None:
        info.update({"calibration_warnings": trust.warnings, "held_out_accuracy": trust.held_out_accuracy, "calibration_folds": trust.inner_folds,
                     "background": trust.background.fitted_on})
    save_model(out, get_model("mn04_finetune"), network, manifest.classes, net_cfg, info,
               None if trust is None else trust.calibration, None if trust is None else trust.novelty, None if trust is None else trust.background)
    return Path(out)
