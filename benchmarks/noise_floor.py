"""In-domain check of a noise floor and the silence gate. Writes benchmarks/results/<name>.json.

    python benchmarks/noise_floor.py runs/bench-rw_probe_none --name noise_floor_rw_probe_none

Each fold's saved model(s) (``cv --save-models``; several runs are averaged as an ensemble) score
their own ESC-50 test clips, zero-padded to the window as ``predict`` does, under every condition:
no floor, or seeded white noise at each ``--floors`` level (dBFS RMS) added to the whole window;
each as it is and under every ``--treatments``: ``gate`` (features/gate.py) and
``band`` (the input low-passed to ``--band-hz``, features/band.py). ESC-50's short clips end in
digital zeros, so its test clips on a floor are the in-domain stand-in for a short sound in a real
recording. Measures only: nothing here is fitted or chosen.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.audio import fix_length, load_audio
from envsound.data import load_dataset
from envsound.errors import RunError
from envsound.inference.predict import Predictor
from envsound.runs import RunFolder, device_name, load_run
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402

DEFAULT_FLOORS = (-70.0, -50.0)
TREATMENTS = ("gate", "band")


def condition_name(floor_db: float | None, treatment: str | None, band_hz: float = 8000.0) -> str:
    suffix = "" if treatment is None else "+gate" if treatment == "gate" else f"+band{band_hz:g}"
    return ("zeros" if floor_db is None else f"floor{floor_db:g}") + suffix


def with_floor(windows: np.ndarray, floor_db: float | None, fold: int) -> np.ndarray:
    """``windows`` plus white noise at ``floor_db`` dBFS RMS, seeded by (fold, clip, level)."""
    if floor_db is None:
        return windows
    noisy = windows.copy()
    for i, row in enumerate(noisy):
        row += np.random.default_rng([fold, i, round(-floor_db * 100)]).standard_normal(len(row)).astype(np.float32) * np.float32(10 ** (floor_db / 20))
    return noisy


def accuracy_by_condition(run_dirs: list[Path], floors: tuple[float, ...], treatments: tuple[str, ...] = ("gate",), band_hz: float = 8000.0) -> dict:
    try:
        runs = [load_run(r) for r in run_dirs]
    except RunError as err:  # a missing or unfinished run: one line, not a traceback
        raise SystemExit(f"error: {err}") from None
    first = runs[0]
    if any(list(r.clip_ids) != list(first.clip_ids) for r in runs[1:]):
        raise SystemExit("the runs were not made on the same clips and folds; they cannot be averaged")
    config = first.config["run"]
    by_id = {c.clip_id: c for c in load_dataset(config["dataset"], config.get("data_root")).clips}
    unknown = set(treatments) - set(TREATMENTS)
    if unknown:
        raise SystemExit(f"unknown treatment(s) {', '.join(sorted(unknown))}; known: {', '.join(TREATMENTS)}")
    conditions = [(f, t) for f in (None, *floors) for t in (None, *treatments)]
    right = {condition_name(f, t, band_hz): 0 for f, t in conditions}
    for fold in first.folds:
        members = []
        for run in runs:
            members.append(Predictor.from_file(RunFolder(run.run_dir).saved_fold_model(fold), device="cpu", abstain=False))
        mask = first.fold_of == fold
        rate, size = members[0].extractor.sample_rate, members[0].window_samples
        clean = np.stack([fix_length(load_audio(by_id[cid].path, rate), size) for cid, m in zip(first.clip_ids, mask) if m])
        targets = first.targets[mask]
        for floor_db, treatment in conditions:
            windows = with_floor(clean, floor_db, fold)
            probs = 0.0
            for member in members:
                member.gate, member.band_hz = treatment == "gate", band_hz if treatment == "band" else None
                scored = np.concatenate([member.window_probabilities(windows[i : i + 32]) for i in range(0, len(windows), 32)])
                probs = probs + scored[:, [list(member.classes).index(c) for c in first.classes]]
            right[condition_name(floor_db, treatment, band_hz)] += int((np.argmax(probs, axis=1) == targets).sum())
        print(f"fold {fold}: done", flush=True)
    return {"runs": [str(r) for r in run_dirs], "clips": len(first.clip_ids), "floors_dbfs": list(floors), "treatments": list(treatments),
            **({"band_hz": band_hz} if "band" in treatments else {}),
            "accuracy": {name: r / len(first.clip_ids) for name, r in right.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+", help="cv runs with --save-models (several: an ensemble)")
    parser.add_argument("--floors", type=float, nargs="+", default=list(DEFAULT_FLOORS), help="noise floor levels, dBFS RMS")
    parser.add_argument("--treatments", nargs="*", default=["gate"], choices=TREATMENTS, help="what is done to the input, each measured against nothing done")
    parser.add_argument("--band-hz", type=float, default=8000.0, help="the band for the band treatment (the 16 kHz ESC-50 copy's: 8000)")
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    commit, started = git_commit(), time.time()
    result: dict = {"name": args.name, **accuracy_by_condition(args.runs, tuple(args.floors), tuple(args.treatments), args.band_hz)}
    print(result["accuracy"], flush=True)
    import torch

    result.update({"seconds": round(time.time() - started, 1), "threads": torch.get_num_threads(), "device": device_name(),
                   "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
                   "commit": commit, "date": datetime.now(timezone.utc).date().isoformat()})
    write_json(result_path(args.name), result)


if __name__ == "__main__":
    main()
