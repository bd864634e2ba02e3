"""The README's results table from benchmarks/results/*.json (cross-validation results only).

    python benchmarks/table.py            # print it
    python benchmarks/table.py --readme   # rewrite it (and the augmentation table) in README.md between their markers
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


START, END = "<!-- results:start -->", "<!-- results:end -->"
AUG_START, AUG_END = "<!-- augmentation:start -->", "<!-- augmentation:end -->"
# bash benchmarks/augmentation.sh: (arm, result name); the online arm is the foundation benchmark
AUGMENTATION_ARMS = (
    ("none", "aug_none"),
    ("study's image augmentation", "aug_study_image"),
    ("offline audio (5× data)", "aug_offline_audio"),
    ("online (waveform + SpecAugment + mixup)", "compact_cnn_ema"),
    ("offline + online", "aug_offline_plus_online"),
)


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
                 f"**{r['mean_accuracy']:.1%}** ± {r['std_accuracy']:.1%}", wall_minutes(r), f"`{r['command']}`"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")  # a bare | would split the cell
    return "\n".join(lines)


def wall_minutes(result: dict) -> str:
    """Wall time, marked when the run was held to one torch thread (as when two runs share the machine)."""
    minutes = f"{result['wall_seconds'] / 60:.1f}"
    return minutes + " (1 thread)" if result.get("threads") == 1 else minutes


def augmentation_table() -> str:
    """The augmentation experiment's arms side by side, each against the no-augmentation arm."""
    results = {name: json.loads((RESULTS / f"{name}.json").read_text()) for _, name in AUGMENTATION_ARMS if (RESULTS / f"{name}.json").exists()}
    baseline = results.get("aug_none")
    lines = ["| arm | epochs | accuracy per fold (1–5) | mean ± std | vs none |", "|---|---|---|---|---|"]
    for arm, name in AUGMENTATION_ARMS:
        r = results.get(name)
        if r is None:
            lines.append(f"| {arm} | | not finished | | |")
            continue
        folds = " / ".join(f"{a:.1%}" for a in r["fold_accuracy"])
        delta = ""
        if baseline and name != "aug_none":  # paired by fold: each fold's test clips are the same in every arm
            better = sum(a > b for a, b in zip(r["fold_accuracy"], baseline["fold_accuracy"]))
            delta = f"{100 * (r['mean_accuracy'] - baseline['mean_accuracy']):+.1f} points, better on {better}/{len(r['fold_accuracy'])} folds"
        lines.append(f"| {arm} | {r['config']['train']['epochs']} | {folds} | **{r['mean_accuracy']:.1%}** ± {r['std_accuracy']:.1%} | {delta} |")
    return "\n".join(lines)


def replace_block(content: str, start: str, end: str, text: str) -> str:
    if start not in content or end not in content:
        raise SystemExit(f"README.md has no {start} … {end} markers")
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{text}\n{end}{tail}"


def main() -> None:
    import sys

    text = table()
    if "--readme" not in sys.argv:
        print(text)
        return
    readme = RESULTS.parent.parent / "README.md"
    content = replace_block(readme.read_text(), START, END, text)
    readme.write_text(replace_block(content, AUG_START, AUG_END, augmentation_table()))


if __name__ == "__main__":
    main()
