"""Do the event benchmark's figures come back when everything is rebuilt? Writes
benchmarks/results/sed_reproduce.json. A check of the record, not an arm: no rule, nothing kept.

    python benchmarks/sed.py                            # every arm, its files overwritten
    python benchmarks/sed_reproduce.py --against HEAD   # each file against its committed version
    git checkout benchmarks/results/sed_*.json          # keep the record as it was measured

For each arm whose result file exists both in the working tree and at ``--against``: the
no-overlap and overlap figures of both, each file's commit, and the largest difference. Run it on
a fresh machine (``runs/`` rebuilt: embedding cache, fold models) to see how far the figures move
when nothing but the rebuild differs; arms with no committed file are listed with their new figures.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from envsound.runs import device_name  # noqa: E402
from envsound.utils import write_json  # noqa: E402
from esc50_cv import git_commit, result_path  # noqa: E402

FIGURES = ("event_f1_200ms", "event_f1_500ms", "segment_f1_1s", "background_labelled")


def committed(path: Path, revision: str) -> dict | None:
    shown = subprocess.run(["git", "show", f"{revision}:{path.relative_to(REPO).as_posix()}"], cwd=REPO, capture_output=True, text=True)
    return json.loads(shown.stdout) if shown.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", default="HEAD", help="the git revision holding the committed files")
    parser.add_argument("--models", default="probe", help="benchmarks/sed.py's --models (its files' suffix)")
    args = parser.parse_args()
    import sed

    suffix = "" if args.models == "probe" else f"_{args.models}"
    arms, largest = {}, 0.0
    for arm in sed.ARMS:
        path = result_path(f"sed_{arm}{suffix}")
        if not path.exists():
            continue
        now, then = json.loads(path.read_text()), committed(path, args.against)
        entry = {"rerun_commit": now["commit"], "rerun": {s: {k: now["sets"][s][k] for k in FIGURES} for s in now["sets"]}}
        if then is not None:
            entry["committed_commit"] = then["commit"]
            entry["committed"] = {s: {k: then["sets"][s][k] for k in FIGURES} for s in then["sets"]}
            entry["largest_difference"] = max(abs(now["sets"][s][k] - then["sets"][s][k]) for s in then["sets"] for k in FIGURES)
            largest = max(largest, entry["largest_difference"])
        arms[arm] = entry
        print(f"{arm:10s} " + (f"largest difference {entry['largest_difference']:.4f}" if then is not None else "no committed file"), flush=True)
    name = f"sed_reproduce{suffix}"
    write_json(result_path(name), {"name": name, "command": "python " + shlex.join(sys.argv), "commit": git_commit(), "machine": device_name(),
                                   "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "against": args.against, "models": args.models,
                                   "largest_difference": largest, "arms": arms})


if __name__ == "__main__":
    main()
