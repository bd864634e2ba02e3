"""What dynamic int8 quantisation costs in accuracy, measured on cross-validation fold models;
writes benchmarks/results/<name>.json.

    python benchmarks/onnx_int8.py runs/bench-kd_teacher_finetune --name onnx_int8_mn04_finetune

Each fold's saved network (`cv --save-models`, never trained on its fold) is exported twice,
waveform in (`envsound export`, and `--int8`), and both classify that fold's test clips through
onnxruntime; reported: accuracy of each (pooled over folds), how often their top labels agree,
and the file sizes. Nothing is tuned on the results.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.data import load_dataset
from envsound.inference.onnx_export import export_onnx
from envsound.inference.predict import Predictor
from envsound.runs import RunFolder, device_name, load_run
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    commit = git_commit()
    run = load_run(args.run)
    run_cfg = run.config["run"]
    by_id = {c.clip_id: c for c in load_dataset(run_cfg["dataset"], run_cfg.get("data_root")).clips}
    right = {"fp32": 0, "int8": 0}
    agree, sizes = 0, {"fp32": [], "int8": []}
    with tempfile.TemporaryDirectory() as tmp:
        for fold in run.folds:
            mask = run.fold_of == fold
            paths = [by_id[cid].path for cid, m in zip(run.clip_ids, mask) if m]
            targets = [run.classes[t] for t in run.targets[mask]]
            tops = {}
            for kind in ("fp32", "int8"):
                onnx = export_onnx(RunFolder(args.run).saved_fold_model(fold), Path(tmp) / f"fold{fold}-{kind}.onnx", int8=kind == "int8")
                sizes[kind].append(onnx.stat().st_size)
                tops[kind] = [p.labels[0] for p in Predictor.from_file(onnx).predict(paths, top_k=1)]
                right[kind] += sum(t == label for t, label in zip(tops[kind], targets))
            agree += sum(a == b for a, b in zip(tops["fp32"], tops["int8"]))
            print(f"fold {fold}: fp32 {np.mean([t == y for t, y in zip(tops['fp32'], targets)]):.1%}, int8 {np.mean([t == y for t, y in zip(tops['int8'], targets)]):.1%}", flush=True)
    n = len(run.clip_ids)
    result = {
        "name": args.name, "run": str(args.run), "clips": n,
        "accuracy_fp32": right["fp32"] / n, "accuracy_int8": right["int8"] / n, "int8_minus_fp32": (right["int8"] - right["fp32"]) / n,
        "top1_agreement": agree / n, "mb_fp32": float(np.mean(sizes["fp32"]) / 1e6), "mb_int8": float(np.mean(sizes["int8"]) / 1e6),
        "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": commit, "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(result_path(args.name), result)
    print({k: v for k, v in result.items() if isinstance(v, float)})


if __name__ == "__main__":
    main()
