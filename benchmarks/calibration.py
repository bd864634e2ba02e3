"""Calibration and abstention of a finished run; writes benchmarks/results/calibration_<run>.json.

    python benchmarks/calibration.py runs/bench-mn04_probe_plus_finetune [--recall 0.95]

Everything comes from the run's saved out-of-fold predictions: per test fold, a temperature and an
abstention threshold (keeping --recall of in-set clips answered) fitted on the *other* folds'
predictions only, then ECE, NLL, coverage and accuracy of answered clips on the test fold; pooled
over folds; and the calibration a model trained on all folds of this recipe ships with (fitted on
every fold's out-of-fold predictions), plus the coverage-accuracy curve of the pooled predictions.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from envsound.evaluation.calibration import calibrate_run
from envsound.models.calibration import scale
from envsound.models.model_file import load_model
from envsound.runs import load_run
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402


def coverage_curve(probs: np.ndarray, targets: np.ndarray, thresholds: np.ndarray) -> list[dict]:
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == targets
    return [{"threshold": float(t), "coverage": float((confidence >= t).mean()),
             "accuracy_answered": float(correct[confidence >= t].mean()) if (confidence >= t).any() else None} for t in thresholds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--recall", type=float, default=0.95)
    parser.add_argument("--model", type=Path, default=None, help="a model of the run's recipe: adds its embedding novelty to the abstention")
    args = parser.parse_args()
    model = load_model(args.model) if args.model else None
    figures, final, _ = calibrate_run(args.run_dir, args.recall, model)
    results = load_run(args.run_dir)
    cross = np.empty_like(results.probs, dtype=np.float64)
    for fold in figures["per_fold"]:
        cross[results.fold_of == fold["fold"]] = scale(results.probs[results.fold_of == fold["fold"]], fold["temperature"])
    name = args.run_dir.name.removeprefix("bench-") + ("_novelty" if model is not None else "")
    result = {
        "name": f"calibration_{name}",
        "run": name,
        **figures,
        "shipped_calibration": final.to_dict(),
        "coverage_curve_cross_fitted": coverage_curve(cross, results.targets, np.round(np.arange(0.0, 1.0, 0.05), 2)),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(REPO / "benchmarks" / "results" / f"calibration_{name}.json", result)
    print({k: v for k, v in result.items() if k not in ("per_fold", "coverage_curve_cross_fitted")})


if __name__ == "__main__":
    main()
