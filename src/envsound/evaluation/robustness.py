"""ESC-50-C: a cross-validated model scored on its own test folds, corrupted (never trained on).

For every fold, the fold's saved model(s) (``cv --save-models``; several runs' fold models make an
ensemble, their probabilities averaged as ``envsound ensemble`` does) classify that fold's test clips
clean and under every corruption and severity of ``augment/corruptions.py``, each clip corrupted
deterministically from (seed, corruption, severity, clip). The background for "background" is a
clip of another class from the same test fold, so no training clip is ever heard. Reported: clean
accuracy, accuracy per corruption and severity, their mean (mCA) and its drop from clean.

Members that share a front end share its features, and features that are small per clip (a frozen
backbone's embedding, not a spectrogram) are cached like a dataset's, keyed by the corruption
code itself, the seed, the condition and the fold's files: a second probe on the same backbone,
or an ensemble holding one, scores ESC-50-C without corrupting or embedding anything again.
"""

from __future__ import annotations

import time
import zlib
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from envsound.audio import fix_length, load_audio
from envsound.augment import corruptions as corruptions_module
from envsound.augment import table as augmentation_table
from envsound.augment.table import CORRUPTIONS, SEVERITIES, corrupt
from envsound.errors import RunError
from envsound.features.cache import file_identity, load_or_compute_array
from envsound.inference.predict import Predictor
from envsound.progress import progress_bar
from envsound.runs import RunFolder, load_run, run_dataset
from envsound.utils import sha256_file, stable_hash


def _members(run_dirs: Sequence[Path], fold: int) -> list[Predictor]:
    members = []
    for run in run_dirs:
        members.append(Predictor.from_file(RunFolder(run).saved_fold_model(fold), device="cpu", abstain=False))
    return members


CACHED_VALUES_PER_CLIP = 4096  # embeddings (hundreds of values) are cached; spectrograms (tens of thousands) are not
BATCH = 32  # windows per front-end and network call: larger batches amortise torch's per-call cost


def _features(extractor, signals: Callable[[], list[np.ndarray]]) -> np.ndarray:
    """One window per clip (zero-padded, as `predict` treats a short clip) through ``extractor``."""
    size = round(extractor.clip_seconds * extractor.sample_rate)
    windows = np.stack([fix_length(s, size) for s in signals()]).astype(np.float32)
    return np.concatenate([extractor(windows[i : i + BATCH]) for i in range(0, len(windows), BATCH)])


def _probabilities(members: list[Predictor], signals: Callable[[], list[np.ndarray]], cache_key: dict | None, classes: Sequence[str]) -> np.ndarray:
    """Members' mean probabilities, columns in ``classes`` order. ``signals`` makes the (corrupted)
    clips only if some member's features are not cached; ``cache_key``: what those features depend
    on besides the front end."""
    by_front_end: dict[str, np.ndarray] = {}
    total = None
    for member in members:
        extractor = member.extractor
        front_end = stable_hash(extractor.describe())
        if front_end not in by_front_end:
            compute = partial(_features, extractor, signals)
            small = int(np.prod(extractor.output_shape)) <= CACHED_VALUES_PER_CLIP
            by_front_end[front_end] = (load_or_compute_array("esc50c", {**cache_key, "front_end": extractor.describe()}, compute)
                                       if small and cache_key is not None else compute())
        features = by_front_end[front_end]
        probs = np.concatenate([member.score(features[i : i + BATCH]) for i in range(0, len(features), BATCH)])
        probs = probs[:, [list(member.classes).index(c) for c in classes]]
        total = probs if total is None else total + probs
    return total / len(members)


def _decode(paths: list[Path], rate: int, seconds: float) -> list[np.ndarray]:
    return [load_audio(p, rate, seconds) for p in paths]


def _damage(signals: Callable[[], list[np.ndarray]], clip_ids: list[str], targets: np.ndarray, rate: int, seed: int, corruption: str,
            severity: int) -> list[np.ndarray]:
    """Every clip of a test fold corrupted, each deterministically from (seed, corruption, severity, clip)."""
    clean, damaged = signals(), []
    for k, (clip_id, signal) in enumerate(zip(clip_ids, clean)):
        rng = np.random.default_rng(_seed(seed, corruption, severity, clip_id))
        background = None
        if corruption == "background":  # another class, same test fold
            others = [j for j in range(len(clip_ids)) if targets[j] != targets[k]]
            background = clean[others[int(rng.integers(len(others)))]]
        damaged.append(corrupt(signal, rate, corruption, severity, rng, background))
    return damaged


def _once(make: Callable[[], list[np.ndarray]]) -> Callable[[], list[np.ndarray]]:
    made: list[list[np.ndarray]] = []

    def get() -> list[np.ndarray]:
        if not made:
            made.append(make())
        return made[0]

    return get


def _test_clips(run, fold: int) -> list[str]:
    return sorted(cid for cid, f in zip(run.clip_ids, run.fold_of) if f == fold)


def _seed(seed: int, corruption: str, severity: int, clip_id: str) -> list[int]:
    return [seed, zlib.crc32(corruption.encode()), severity, zlib.crc32(clip_id.encode())]


def robustness(run_dirs: Sequence[str | Path], corruptions: Sequence[str] = CORRUPTIONS, severities: Sequence[int] = SEVERITIES, seed: int = 0,
               folds: Sequence[int] | None = None, show_progress: bool = True) -> dict:
    runs = [Path(r) for r in run_dirs]
    results = [load_run(r) for r in runs]
    first = results[0]
    for other in results[1:]:  # one dataset, or one with copies added (originals test): the same test clips per fold
        if other.folds != first.folds or sorted(other.classes) != sorted(first.classes) or any(
                _test_clips(other, f) != _test_clips(first, f) for f in first.folds):
            raise RunError("the runs differ in classes, folds or test clips; an ensemble needs the same ones")
    manifest = run_dataset(first.config)
    by_id = {c.clip_id: (i, c) for i, c in enumerate(manifest.clips)}
    targets_all = manifest.targets
    folds = list(folds or first.folds)
    correct: dict[str, list[bool]] = {"clean": []}
    started = time.perf_counter()
    conditions = [(c, s) for c in corruptions for s in severities]
    code = stable_hash([sha256_file(Path(m.__file__)) for m in (corruptions_module, augmentation_table)])  # any change to a corruption or its settings makes new cache entries
    with progress_bar("ESC-50-C", len(folds) * (1 + len(conditions)), show_progress) as advance:
        for fold in folds:
            members = _members(runs, fold)
            rate = members[0].extractor.sample_rate
            if any(m.extractor.sample_rate != rate for m in members):
                raise RunError("ensemble members read different sample rates")
            ids = [cid for cid, f in zip(first.clip_ids, first.fold_of) if f == fold]
            clips = [by_id[cid] for cid in ids]
            seconds = members[0].extractor.clip_seconds
            signals = _once(partial(_decode, [c.path for _, c in clips], rate, seconds))
            targets = np.array([targets_all[i] for i, _ in clips])
            fold_key = {"corruptions_code": code, "rate": rate, "seconds": seconds, "seed": seed,
                        "clips": [(c.clip_id, label, *file_identity(c.path)) for (_, c), label in zip(clips, targets.tolist())]}
            correct["clean"].extend(_probabilities(members, signals, {**fold_key, "condition": "clean"}, first.classes).argmax(1) == targets)
            advance(1)
            for corruption, severity in conditions:
                damaged = _once(partial(_damage, signals, [c.clip_id for _, c in clips], targets, rate, seed, corruption, severity))
                key = {**fold_key, "condition": f"{corruption}/{severity}"}
                correct.setdefault(f"{corruption}/{severity}", []).extend(_probabilities(members, damaged, key, first.classes).argmax(1) == targets)
                advance(1)
    accuracy = {name: float(np.mean(values)) for name, values in correct.items()}
    per_corruption = {c: [accuracy[f"{c}/{s}"] for s in severities] for c in corruptions}
    mca = float(np.mean([accuracy[f"{c}/{s}"] for c in corruptions for s in severities]))
    return {
        "runs": [r.name for r in runs],
        "folds": folds,
        "clips": len(correct["clean"]),
        "seed": seed,
        "clean_accuracy": accuracy["clean"],
        "accuracy": per_corruption,
        "severities": list(severities),
        "mean_corruption_accuracy": mca,
        "drop_from_clean": accuracy["clean"] - mca,
        "seconds": time.perf_counter() - started,
    }
