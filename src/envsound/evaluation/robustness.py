"""ESC-50-C: a cross-validated model scored on its own test folds, corrupted (never trained on).

For every fold, the fold's saved model(s) (``cv --save-models``; several runs' fold models make an
ensemble, their probabilities averaged as ``envsound ensemble`` does) classify that fold's test clips
clean and under every corruption and severity of ``augment/corruptions.py``, each clip corrupted
deterministically from (seed, corruption, severity, clip). The background for "background" is a
clip of another class from the same test fold, so no training clip is ever heard. Reported: clean
accuracy, accuracy per corruption and severity, their mean (mCA) and its drop from clean.
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from envsound.audio import fix_length, load_audio
from envsound.augment.corruptions import CORRUPTIONS, SEVERITIES, corrupt
from envsound.data import load_dataset
from envsound.errors import RunError
from envsound.inference.predict import BATCH_WINDOWS, Predictor
from envsound.progress import progress_bar
from envsound.runs import load_run


def _members(run_dirs: Sequence[Path], fold: int) -> list[Predictor]:
    members = []
    for run in run_dirs:
        path = run / f"fold-{fold}" / "model.pt"
        if not path.is_file():
            raise RunError(f"{run}: no fold models (fold-{fold}/model.pt); rerun it with `envsound cv --save-models`")
        members.append(Predictor.from_file(path, device="cpu", abstain=False))
    return members


def _probabilities(members: list[Predictor], signals: list[np.ndarray]) -> np.ndarray:
    """Members' mean probabilities, one window per clip (zero-padded, as `predict` treats a short clip)."""
    size = members[0].window_samples
    windows = np.stack([fix_length(s, size) for s in signals])
    total = None
    for member in members:
        probs = np.concatenate([member.window_probabilities(windows[i : i + BATCH_WINDOWS]) for i in range(0, len(windows), BATCH_WINDOWS)])
        total = probs if total is None else total + probs
    return total / len(members)


def _seed(seed: int, corruption: str, severity: int, clip_id: str) -> list[int]:
    return [seed, zlib.crc32(corruption.encode()), severity, zlib.crc32(clip_id.encode())]


def robustness(run_dirs: Sequence[str | Path], corruptions: Sequence[str] = CORRUPTIONS, severities: Sequence[int] = SEVERITIES, seed: int = 0,
               folds: Sequence[int] | None = None, show_progress: bool = True) -> dict:
    runs = [Path(r) for r in run_dirs]
    results = [load_run(r) for r in runs]
    first = results[0]
    for other in results[1:]:
        if other.folds != first.folds or other.classes != first.classes or other.config["dataset"]["name"] != first.config["dataset"]["name"]:
            raise RunError("the runs differ in dataset, classes or folds; an ensemble needs the same ones")
    run_cfg = first.config["run"]
    manifest = load_dataset(run_cfg["dataset"], run_cfg.get("data_root"))
    by_id = {c.clip_id: (i, c) for i, c in enumerate(manifest.clips)}
    targets_all = manifest.targets
    folds = list(folds or first.folds)
    correct: dict[str, list[bool]] = {"clean": []}
    started = time.perf_counter()
    conditions = [(c, s) for c in corruptions for s in severities]
    with progress_bar("ESC-50-C", len(folds) * (1 + len(conditions)), show_progress) as advance:
        for fold in folds:
            members = _members(runs, fold)
            rate = members[0].extractor.sample_rate
            if any(m.extractor.sample_rate != rate for m in members):
                raise RunError("ensemble members read different sample rates")
            ids = [cid for cid, f in zip(first.clip_ids, first.fold_of) if f == fold]
            clips = [by_id[cid] for cid in ids]
            signals = [load_audio(c.path, rate, members[0].extractor.clip_seconds) for _, c in clips]
            targets = np.array([targets_all[i] for i, _ in clips])
            correct["clean"].extend(_probabilities(members, signals).argmax(1) == targets)
            advance(1)
            for corruption, severity in conditions:
                damaged = []
                for k, ((_, clip), signal) in enumerate(zip(clips, signals)):
                    rng = np.random.default_rng(_seed(seed, corruption, severity, clip.clip_id))
                    background = None
                    if corruption == "background":  # another class, same test fold
                        others = [j for j in range(len(clips)) if targets[j] != targets[k]]
                        background = signals[others[int(rng.integers(len(others)))]]
                    damaged.append(corrupt(signal, rate, corruption, severity, rng, background))
                correct.setdefault(f"{corruption}/{severity}", []).extend(_probabilities(members, damaged).argmax(1) == targets)
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
