"""Test-time augmentation on cross-validated runs; writes benchmarks/results/<name>.json.

    python benchmarks/tta.py runs/bench-rw_probe_none --shifts 0,2,4 --name tta_rw_probe_none

Each fold's saved model (`cv --save-models`, never trained on its fold) predicts that fold's test
clips with N circularly shifted copies of each clip averaged in (`predict --tta N`); accuracy per
N, pooled over the folds. Several runs: their ensemble, as `envsound ensemble` averages them.
Nothing is tuned here: every N is reported.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from envsound.audio import load_audio
from envsound.data import load_dataset
from envsound.inference.predict import Predictor
from envsound.runs import RunFolder, device_name, load_run
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--shifts", default="0,2,4", help="comma-separated N (0: no test-time augmentation)")
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    commit = git_commit()
    runs = [load_run(r) for r in args.runs]
    first = runs[0]
    run_cfg = first.config["run"]
    by_id = {c.clip_id: c for c in load_dataset(run_cfg["dataset"], run_cfg.get("data_root")).clips}
    accuracy, seconds = {}, {}
    for n in (int(s) for s in args.shifts.split(",")):
        started, right = time.perf_counter(), 0
        for fold in first.folds:
            mask = first.fold_of == fold
            ids = [cid for cid, m in zip(first.clip_ids, mask) if m]
            total = 0.0
            for run in runs:
                predictor = Predictor.from_file(RunFolder(run.run_dir).saved_fold_model(fold), tta=n)
                rate = predictor.extractor.sample_rate
                total = total + np.stack([predictor.window_scores(predictor.windows(load_audio(by_id[cid].path, rate)))[0].mean(axis=0) for cid in ids])
            right += int((np.asarray(total).argmax(1) == first.targets[mask]).sum())
        accuracy[n], seconds[n] = right / len(first.clip_ids), time.perf_counter() - started
        print(f"tta {n}: {accuracy[n]:.2%} ({seconds[n]:.0f} s)", flush=True)
    write_json(result_path(args.name), {
        "name": args.name, "runs": [str(r) for r in args.runs], "clips": len(first.clip_ids),
        "accuracy": {str(k): v for k, v in accuracy.items()}, "seconds": {str(k): v for k, v in seconds.items()},
        "threads": torch.get_num_threads(), "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": commit, "date": datetime.now(timezone.utc).date().isoformat(),
    })


if __name__ == "__main__":
    main()
