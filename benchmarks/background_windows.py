"""Does the background detector need 2-s event windows among its negatives? Declared 2026-12-07,
before any figure of it; writes benchmarks/results/background_windows_<name>.json.

    python benchmarks/background_windows.py --name default
    python benchmarks/background_windows.py --model fast --name fast

Why: ``timeline`` scores 2-s windows, but the detector kept by ``benchmarks/background.py``
(``learned``) was fitted against whole 5-s clips only; in eight ESC-50 clips in a row, the siren's
2-s windows were called background. Arms, fitted per official fold on the other four (as there):
- ``learned``: negatives are the training clips' 5-s embeddings (today's detector);
- ``learned2s``: negatives are those plus each training clip's 2-s window centred on its
  loudest 20-ms frame (an event, wherever it is in the clip); threshold the 99.7th percentile of
  the inner out-of-fold scores of both.
Measured: fold-k clips called background, as whole clips and as their loudest 2-s windows; the
measurement beds' 1-s cells (as ``background.py`` scores them).
Rule: ``learned2s`` replaces ``learned`` (in ``models/background.py`` and both shipped models) when
its 2-s loss is lower, its 5-s loss is at most 0.3 %, and the beds stay >= 99 % background.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.audio import fix_length, frame_levels, iter_windows, load_audio
from envsound.augment.noise_beds import fit_beds, measurement_beds
from envsound.data import load_dataset
from envsound.inference.predict import Predictor
from envsound.runs import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from background import HOP, QUANTILE, WINDOW, evidence, learned_scores  # noqa: E402
from esc50_cv import git_commit, result_path  # noqa: E402


def loudest_window(signal: np.ndarray, rate: int, seconds: float = WINDOW) -> np.ndarray:
    size = round(seconds * rate)
    levels = frame_levels(signal, rate)
    centre = int(np.argmax(levels)) * round(0.02 * rate) if len(levels) else 0
    start = int(np.clip(centre - size // 2, 0, max(0, len(signal) - size)))
    return fix_length(signal[start : start + size], size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--name", default="default")
    args = parser.parse_args()
    out_path = result_path(f"background_windows_{args.name}")
    commit, began = git_commit(), time.time()
    predictor = Predictor.from_file(args.model, device="cpu")
    rate, clip = predictor.extractor.sample_rate, predictor.window_samples
    manifest = load_dataset("esc50")
    folds = manifest.folds
    audio = [load_audio(c.path, rate) for c in manifest.clips]
    long = evidence(predictor, np.stack([fix_length(a, clip) for a in audio]))["embedding"]
    short = evidence(predictor, np.stack([loudest_window(a, rate) for a in audio]))["embedding"]
    del audio
    beds = fit_beds(400, rate)
    fit = np.concatenate([evidence(predictor, np.stack([b.signal for b in beds]))["embedding"],
                          evidence(predictor, np.stack([b.signal[: round(WINDOW * rate)] for b in beds]))["embedding"]])
    bed_windows = {b.name: evidence(predictor, np.stack([w for _, w in iter_windows([b.signal], round(WINDOW * rate), round(HOP * rate), tail="pad")]))["embedding"]
                   for b in measurement_beds(rate)}
    per_window = round(WINDOW / HOP)
    out = {}
    for arm in ("learned", "learned2s"):
        lost_long, lost_short, beds_share = np.zeros(len(folds), bool), np.zeros(len(folds), bool), []
        for k in np.unique(folds):
            train = folds != k
            f = folds[train]
            negatives = np.concatenate([long[train], short[train]]) if arm == "learned2s" else long[train]
            neg_folds = np.concatenate([f, f]) if arm == "learned2s" else f
            inner = np.empty(len(negatives))
            for j in np.unique(neg_folds):
                inner[neg_folds == j] = learned_scores(fit, negatives[neg_folds != j], negatives[neg_folds == j])
            threshold = float(np.percentile(inner, QUANTILE))
            lost_long[~train] = learned_scores(fit, negatives, long[~train]) >= threshold
            lost_short[~train] = learned_scores(fit, negatives, short[~train]) >= threshold
            for emb in bed_windows.values():
                scores = learned_scores(fit, negatives, emb)
                n = len(scores)
                total, count = np.zeros(n + per_window), np.zeros(n + per_window)
                for i in range(n):
                    total[i : i + per_window] += scores[i]
                    count[i : i + per_window] += 1
                cells = (total[:20] / count[:20]) >= threshold
                beds_share.append(float(cells.reshape(-1, 2).all(axis=1).mean()))
            print(f"{arm} fold {k}", flush=True)
        out[arm] = {"esc50_clips_background": float(lost_long.mean()), "esc50_loudest_2s_background": float(lost_short.mean()),
                    "bed_cells_background": float(np.mean(beds_share))}
        print(arm, out[arm], flush=True)
    write_json(out_path, {"name": args.name, "command": "python " + shlex.join(sys.argv), "commit": commit, "machine": device_name(),
                          "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "seconds": round(time.time() - began, 1), "model": str(args.model or "default"), "arms": out})
    print(f"→ {out_path}")


if __name__ == "__main__":
    main()
