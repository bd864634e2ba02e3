"""Print the README's results table from benchmarks/results/*.json (cross-validation results only)."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    rows = []
    for path in sorted(RESULTS.glob("*.json")):
        r = json.loads(path.read_text())
        if "fold_accuracy" not in r:
            continue
        rows.append(r)
    rows.sort(key=lambda r: -r["mean_accuracy"])
    print("| name | method | pretrained | augmentation | folds | mean ± std accuracy | wall (min) | command |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        folds = ",".join(map(str, r["folds"]))
        print(
            f"| {r['name']} | {r['method']} | {'yes' if r['pretrained'] else 'no'} | {r['augmentation']} | {folds} | "
            f"**{r['mean_accuracy']:.1%}** ± {r['std_accuracy']:.1%} | {r['wall_seconds'] / 60:.1f} | `{r['command']}` |"
        )


if __name__ == "__main__":
    main()
