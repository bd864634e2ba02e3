"""An ensemble of finished benchmark runs on ESC-50's official folds; writes benchmarks/results/<name>.json.

    python benchmarks/ensemble.py --name mn04_probe_plus_finetune mn04_linear_probe mn04_finetune

Members are benchmark names whose runs (runs/bench-<name>) have finished. Their test-fold
probabilities are averaged with equal weights (nothing tuned), so the figure is as leak-free as the
members. Its wall time is the members' training time added up.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from envsound.evaluation.ensemble import ensemble_runs
from envsound.runs import device_name
from envsound.utils import read_json, write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True, help="Result name: benchmarks/results/<name>.json")
    parser.add_argument("members", nargs="+", help="Benchmark names of finished runs")
    parser.add_argument("--runs", type=Path, default=REPO / "runs")
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    command = "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]])
    member_results = [read_json(result_path(m)) for m in args.members]
    out_dir = args.runs / f"bench-{args.name}"
    if out_dir.exists():  # derived from the members in seconds: recompute rather than resume
        shutil.rmtree(out_dir)
    metrics = ensemble_runs([args.runs / f"bench-{m}" for m in args.members], out_dir, command=command)
    result = {
        "name": args.name,
        "model": "+".join(r["model"] for r in member_results),
        "method": "ensemble",
        "pretrained": any(r["pretrained"] for r in member_results),
        "augmentation": "; ".join(r["augmentation"] for r in member_results),  # one per member
        "dataset": member_results[0]["dataset"],
        "folds": metrics["folds"],
        "fold_accuracy": metrics["fold_accuracy"],
        "mean_accuracy": metrics["mean_accuracy"],
        "std_accuracy": metrics["std_accuracy"],
        "wall_seconds": sum(r["wall_seconds"] for r in member_results),
        "members": [{"name": r["name"], "mean_accuracy": r["mean_accuracy"], "command": r["command"]} for r in member_results],
        "device": device_name(),
        "command": command,
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
        "config": {"members": args.members, "weights": "equal"},
    }
    out = result_path(args.name)
    write_json(out, result)
    print(f"{args.name}: {result['mean_accuracy']:.1%} ± {result['std_accuracy']:.1%} (members: "
          + ", ".join(f"{r['name']} {r['mean_accuracy']:.1%}" for r in member_results) + f") → {out}")


if __name__ == "__main__":
    main()
