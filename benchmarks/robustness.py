"""ESC-50-C for cross-validated runs; writes benchmarks/results/<name>.json.

    python benchmarks/robustness.py runs/bench-mn04_linear_probe runs/bench-mn04_finetune --name robustness_mn04_probe_plus_finetune

Each fold's saved models (`--save-models`) classify that fold's test clips clean and under every
corruption of `augment/table.py` (ESC-50-C side) at three severities (several runs: their ensemble). The
wall time includes corrupting every clip (reverberation rooms are built once per RT60).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

from envsound.evaluation.robustness import robustness
from envsound.runs import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    commit = git_commit()
    result = robustness(args.runs, seed=args.seed)
    result.update({
        "name": args.name, "threads": torch.get_num_threads(), "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": commit, "date": datetime.now(timezone.utc).date().isoformat(),
    })
    write_json(result_path(args.name), result)
    print(f"{args.name}: clean {result['clean_accuracy']:.1%}, mCA {result['mean_corruption_accuracy']:.1%}, {result['seconds'] / 60:.1f} min")
    for name, accs in result["accuracy"].items():
        print(f"  {name:12s} " + "  ".join(f"{a:6.1%}" for a in accs))


if __name__ == "__main__":
    main()
