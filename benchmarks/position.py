"""Does a model hear a sound wherever it sits in the window? Writes benchmarks/results/<name>.json.

    python benchmarks/position.py --outside runs/outside --name position_shipped
    python benchmarks/position.py --outside runs/outside --model m.pt --run runs/bench-X --name position_X

`predict` puts a recording shorter than a window at the window's start; `timeline` and `listen`
meet a short sound wherever their windows happen to fall. Two views, both measured only:

- ``--outside``: the outside set's positives shorter than ``--short`` seconds (1 s), each placed at
  several offsets in an otherwise silent window (zero samples in front, zero-padded behind), scored
  by ``--model`` (the shipped model by default): accuracy per offset, and the mean over the offsets
  of at least 0.25 s ("away from the start"), overall and per label (one class can carry it
  all). ``--floor DB`` fills the window with seeded white noise at that RMS level (dBFS) instead
  of zeros, the sound added on top: a real recording's noise floor rather than ESC-50's digital
  silence, which only ever follows a sound there (its short clips are zero-padded at the end).
- ``--run``: a cross-validated run's saved fold models, each on its own test clips circularly
  shifted by k/3 of the window (k = 0, 1, 2), each copy scored alone (not averaged, as ``--tta``
  would): in-domain ESC-50, where most events start at the clip's start.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.audio import fix_length, load_audio, shifted_copies
from envsound.data import load_dataset
from envsound.inference.predict import Predictor
from envsound.runs import RunFolder, device_name, load_run
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402

OFFSETS_SECONDS = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.5)
AWAY_FROM_START = 0.25
RUN_SHIFTS = 3


def placed(signal: np.ndarray, offset: int, size: int, background: np.ndarray | None) -> np.ndarray:
    """``signal`` starting ``offset`` samples into a window of ``size``: on zeros, or added to
    ``background`` (cut where the window ends)."""
    window = np.zeros(size, np.float32) if background is None else background.astype(np.float32, copy=True)
    part = signal[: max(0, size - offset)]
    window[offset : offset + len(part)] += part
    return window


def noise_floor(size: int, floor_db: float, seed: int) -> np.ndarray:
    """Seeded white noise whose RMS is ``floor_db`` dBFS."""
    return (np.random.default_rng(seed).standard_normal(size) * 10 ** (floor_db / 20)).astype(np.float32)


def outside_by_offset(folder: Path, predictor: Predictor, short_seconds: float, floor_db: float | None = None) -> dict:
    """Accuracy of the short positives at each offset in the window (on zeros, or on a noise floor)."""
    rate, size = predictor.extractor.sample_rate, predictor.window_samples
    if not (folder / "manifest.csv").is_file():
        raise SystemExit(f"{folder}: no manifest.csv (build the set with scripts/build_outside_set.py)")
    hits, paths, labels = [], [], []
    for row in csv.DictReader(open(folder / "manifest.csv", newline="")):
        if row["set"] != "positive":
            continue
        signal = load_audio(folder / row["path"], rate)
        if len(signal) >= short_seconds * rate:
            continue
        background = None if floor_db is None else noise_floor(size, floor_db, seed=len(hits))
        windows = np.stack([placed(signal, round(o * rate), size, background) for o in OFFSETS_SECONDS])
        scores = predictor.window_scores(windows)[0]
        hits.append(scores.argmax(axis=1) == predictor.classes.index(row["label"]))
        paths.append(row["path"])
        labels.append(row["label"])
    if not hits:
        raise SystemExit(f"{folder}: no positive shorter than {short_seconds:g} s to place")
    hits_array = np.array(hits)
    away = [i for i, o in enumerate(OFFSETS_SECONDS) if o >= AWAY_FROM_START]
    return {"recordings": len(paths), "short_seconds": short_seconds, "floor_dbfs": floor_db,
            "accuracy_by_offset": {f"{o:g}": float(hits_array[:, i].mean()) for i, o in enumerate(OFFSETS_SECONDS)},
            "accuracy_away_from_start": float(hits_array[:, away].mean()),
            "by_label": {label: {"recordings": int(mine.sum()), "at_start": float(hits_array[mine, 0].mean()),
                                 "away_from_start": float(hits_array[np.ix_(mine, away)].mean())}
                         for label in sorted(set(labels)) for mine in [np.array(labels) == label]},
            "per_recording": [{"path": p, "right": h.astype(int).tolist()} for p, h in zip(paths, hits_array)]}


def run_by_shift(run_dir: Path) -> dict:
    """Accuracy of each fold model on its test clips shifted circularly by k/3 of the window."""
    run = load_run(run_dir)
    config = run.config["run"]
    by_id = {c.clip_id: c for c in load_dataset(config["dataset"], config.get("data_root")).clips}
    right = np.zeros(RUN_SHIFTS)
    for fold in run.folds:
        mask = run.fold_of == fold
        predictor = Predictor.from_file(RunFolder(run.run_dir).saved_fold_model(fold))
        rate, size = predictor.extractor.sample_rate, predictor.window_samples
        windows = np.stack([fix_length(load_audio(by_id[cid].path, rate), size) for cid, m in zip(run.clip_ids, mask) if m])
        scores = predictor.window_probabilities(shifted_copies(windows, RUN_SHIFTS)).reshape(RUN_SHIFTS, len(windows), -1)
        right += (scores.argmax(axis=2) == run.targets[mask][None]).sum(axis=1)
    return {"run": str(run_dir), "clips": len(run.clip_ids),
            "accuracy_by_shift": {f"{k}/{RUN_SHIFTS}": float(r / len(run.clip_ids)) for k, r in enumerate(right)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outside", type=Path, default=None, help="the outside set's folder (scripts/build_outside_set.py)")
    parser.add_argument("--model", type=Path, default=None, help="model file for --outside (default: the shipped model)")
    parser.add_argument("--short", type=float, default=1.0, help="positives shorter than this many seconds (--outside)")
    parser.add_argument("--floor", type=float, default=None, help="--outside: white noise at this RMS dBFS under the sound instead of zeros")
    parser.add_argument("--band-hz", type=float, default=None, help="low-pass the input to this band first (Predictor band_hz, features/band.py)")
    parser.add_argument("--gate", action=argparse.BooleanOptionalAction, default=False, help="--outside: each window's noise floor set to zeros (Predictor gate, features/gate.py)")
    parser.add_argument("--run", type=Path, default=None, help="a cv run with --save-models: its fold models on shifted test clips")
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    if args.outside is None and args.run is None:
        parser.error("give --outside, --run or both")
    commit = git_commit()
    result: dict = {"name": args.name, "model": str(args.model or "shipped"), "gate": args.gate, "band_hz": args.band_hz}
    if args.outside is not None:
        result["outside"] = outside_by_offset(args.outside, Predictor.from_file(args.model, abstain=False, gate=args.gate, band_hz=args.band_hz), args.short, args.floor)
        print("outside, by offset (s):", result["outside"]["accuracy_by_offset"], "away from the start:", round(result["outside"]["accuracy_away_from_start"], 4), flush=True)
    if args.run is not None:
        result["cv"] = run_by_shift(args.run)
        print("cv, by circular shift:", result["cv"]["accuracy_by_shift"], flush=True)
    import torch

    result.update({"threads": torch.get_num_threads(), "device": device_name(),
                   "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
                   "commit": commit, "date": datetime.now(timezone.utc).date().isoformat()})
    write_json(result_path(args.name), result)


if __name__ == "__main__":
    main()
