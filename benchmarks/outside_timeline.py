"""Timeline events on recordings from outside ESC-50: do sounds of its classes get their class, and
sounds of none of them no class? Declared 2026-12-07 with benchmarks/sed.py's ``nearest`` arm,
before any figure; writes benchmarks/results/outside_timeline.json.

    python scripts/build_outside_set.py            # the outside recordings (Debian packages), once
    python benchmarks/outside_timeline.py runs/outside

Each of the 150 positives and 113 negatives (benchmarks/outside/manifest.csv) goes through
`timeline` with the shipped default model (it never heard these recordings), and its events are
read two ways: the kept arm ``inside`` (an event's novelty distance is the mean of its cells') and
``nearest`` (its closest cell's). Figures per arm: positives with an event of their own class,
positives with any event given a class, and negatives with any event given a class. The rule is
benchmarks/sed.py's, for ``nearest``.

Arms ``absorb`` and ``clip`` (declared 2026-12-07 with benchmarks/sed.py's arms of those names,
before any figure): the same recordings through ``Timeline.events(absorb=True)`` and
``events(absorb=True, clips=True)``; their rules are in benchmarks/sed.py. Every arm is rerun so
their figures come from one commit.

Arm ``join`` (declared 2026-12-07 with benchmarks/sed.py's arm of that name, before any figure):
``events(absorb=True, clips=True, join=1.0)``; its rule is in benchmarks/sed.py.

Arm ``floor`` (declared 2026-12-07 with benchmarks/sed.py's arm of that name, before any figure):
``events(absorb=True, clips=True, join=1.0, floor="background")``; its rule is in benchmarks/sed.py.
Result (commit 23ee017; the timeline code is a84da3f's): positives with an event of their class
50.0 % -> 59.3 %, negatives with an event given a class 10.6 % -> 15.9 %: not kept (sed.py).

Arms ``reabsorb`` and ``whole`` (declared 2026-12-07 with benchmarks/sed.py's arms of those names,
before any figure): ``events(..., join=1.0, reabsorb=True)`` and ``events(..., join=1.0,
whole=True)``; their rules are in benchmarks/sed.py.

Arm ``bands`` (declared 2026-12-07 with benchmarks/sed.py's arm of that name, before any figure):
``events(..., whole=True, edges="bands")``; its rule is in benchmarks/sed.py.

Arm ``bed_bands`` (declared 2026-12-07 with benchmarks/sed.py's arm of that name, before any
figure): ``events(..., whole=True, edges="bed_bands")``; its rule is in benchmarks/sed.py.

Arm ``grow`` (declared 2026-12-07 with benchmarks/sed.py's arm of that name, before any figure):
``events(..., edges="bed_bands", grow=1.0)``; its rule is in benchmarks/sed.py.

Arm ``extent`` (declared 2026-12-07 with benchmarks/sed.py's arm of that name, before any figure):
``events(..., edges="bed_bands", grow=1.0, grow_after=True)``; its rule is in benchmarks/sed.py.

Arms ``gaps`` and ``long`` (declared 2026-12-07 with benchmarks/sed.py's arms of those names, before
any figure of theirs here): ``events(..., grow_after=True, gap=1.0)`` and ``events(..., gap=1.0,
longest=60.0)``; their rules are in benchmarks/sed.py. Result (commit 3717010): positives with an
event of their class 75 -> 74 under both: neither kept.

Arm ``rejoin`` (declared 2026-12-07 with benchmarks/sed.py's arm of that name, before any figure of
its own here): ``events(..., gap=1.0, longest=60.0, rejoin=True)``; its rule is in benchmarks/sed.py.
Result: ``long``'s figures exactly (74 positives with their class): not kept.

Arm ``pieces`` (declared 2026-12-07 with benchmarks/sed.py's arm of that name, before any figure of
its own here): ``events(..., gap=1.0, longest=60.0, keep_short=True)``; its rule is in
benchmarks/sed.py. Result (commit f2bbb44): positives with an event of their class 75 (as
``extent``), negatives given a class 9.7 % against 8.0 %: kept (see sed.py).

Arm ``final`` (declared 2026-12-08 with benchmarks/sed.py's arm of that name, before any figure of
its own here): ``events(final=True)``, each grown and joined event answered once more from its
final span; its rule is in benchmarks/sed.py. The arms' rules come from sed.py's one table
(``EVENT_OPTIONS``) since 2026-12-08.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from envsound.inference.predict import Predictor  # noqa: E402
from envsound.inference.timeline import compute_timeline  # noqa: E402
from envsound.models.decision import BACKGROUND, UNKNOWN  # noqa: E402
from envsound.runs import device_name  # noqa: E402
from envsound.utils import write_json  # noqa: E402
from esc50_cv import git_commit, result_path  # noqa: E402
from sed import EVENT_OPTIONS  # noqa: E402

# the arms measured here, each with sed.py's rules of that name (one table: EVENT_OPTIONS)
ARMS = {arm: EVENT_OPTIONS[arm] for arm in ("inside", "nearest", "absorb", "clip", "join", "floor", "reabsorb", "whole", "bands", "bed_bands", "grow", "extent",
                                              "gaps", "long", "rejoin", "pieces", "final")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outside", type=Path, help="the folder scripts/build_outside_set.py wrote")
    parser.add_argument("--model", default=None, help="default: the shipped pair")
    args = parser.parse_args()
    commit, began = git_commit(), time.time()
    with open(args.outside / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    predictor = Predictor.from_file(args.model, device="cpu")
    counts = {arm: {"positives_own_class": 0, "positives_any_class": 0, "negatives_any_class": 0} for arm in ARMS}
    positives = negatives = 0
    for row in rows:
        timeline = compute_timeline(predictor, args.outside / row["path"])
        for arm, options in ARMS.items():
            labels = {s.label for s in timeline.events(rules=options)} - {UNKNOWN, BACKGROUND}
            if row["set"] == "positive":
                counts[arm]["positives_own_class"] += row["label"] in labels
                counts[arm]["positives_any_class"] += bool(labels)
            else:
                counts[arm]["negatives_any_class"] += bool(labels)
        positives += row["set"] == "positive"
        negatives += row["set"] == "negative"
    shares = {arm: {"positives_own_class": c["positives_own_class"] / positives, "positives_any_class": c["positives_any_class"] / positives,
                    "negatives_any_class": c["negatives_any_class"] / negatives} for arm, c in counts.items()}
    write_json(result_path("outside_timeline"), {"name": "outside_timeline", "command": "python " + shlex.join(sys.argv), "commit": commit, "machine": device_name(),
                                                 "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "model": args.model or "default",
                                                 "positives": positives, "negatives": negatives, "counts": counts, "shares": shares,
                                                 "seconds": round(time.time() - began, 1)})
    for arm, figures in shares.items():
        print(arm, {k: f"{v:.1%}" for k, v in figures.items()})


if __name__ == "__main__":
    main()
