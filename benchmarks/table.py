"""The README's results table from benchmarks/results/*.json (cross-validation results only).

    python benchmarks/table.py            # print it
    python benchmarks/table.py --readme   # rewrite it in README.md between the results markers
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


START, END = "<!-- results:start -->", "<!-- results:end -->"


def table() -> str:
    rows = []
    for path in sorted(RESULTS.glob("*.json")):
        r = json.loads(path.read_text())
        if "fold_accuracy" not in r:
            continue
        rows.append(r)
    rows.sort(key=lambda r: -r["mean_accuracy"])
    lines = ["| name | method | pretrained | augmentation | folds | mean ± std accuracy | wall (min) | command |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        folds = ",".join(map(str, r["folds"]))
        cells = [r["name"], r["method"], "yes" if r["pretrained"] else "no", r["augmentation"], folds,
                 f"**{r['mean_accuracy']:.1%}** ± {r['std_accuracy']:.1%}", f"{r['wall_seconds'] / 60:.1f}", f"`{r['command']}`"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")  # a bare | would split the cell
    return "\n".join(lines)


def main() -> None:
    import sys

    text = table()
    if "--readme" not in sys.argv:
        print(text)
        return
    readme = RESULTS.parent.parent / "README.md"
    content = readme.read_text()
    if START not in content or END not in content:
        raise SystemExit(f"README.md has no {START} … {END} markers")
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    main()
