"""The results tables from benchmarks/results/*.json (cross-validation results only).

    python benchmarks/table.py            # print the full table
    python benchmarks/table.py --readme   # rewrite every table between its markers: the full one in
                                          # docs/results.md, the headline rows in README.md, the augmentation arms in docs/experiments.md
    python benchmarks/table.py --augmentation-chart docs/figures/augmentation.png   # the arms' bar chart

Tables and chart read only the committed results, so they can be redrawn without the run folders.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


START, END = "<!-- results:start -->", "<!-- results:end -->"
HEADLINE_START, HEADLINE_END = "<!-- headline:start -->", "<!-- headline:end -->"
# The README's short table: what ships, the best measured, one network, and the study's own kinds of
# model, so a reader sees the range before the full table in docs/results.md.
HEADLINE = (
    ("shipped model: linear probe + robust fine-tune, AudioSet mn04", "rw_probe_plus_finetune_all"),
    ("best measured: probe + three fine-tune seeds", "mn04_probe_plus_finetune_3seeds"),
    ("one network: distilled student, WiSE-FT", "wise_kd_student_lpft_fm_e60"),
    ("linear probe on the frozen mn04 embedding", "mn04_linear_probe"),
    ("compact CNN from scratch, offline + online augmentation", "aug_offline_plus_online"),
    ("the study's 110 hand-crafted features, best classifier", "features_dense"),
    ("the study's CNN", "study_cnn"),
)
AUG_START, AUG_END = "<!-- augmentation:start -->", "<!-- augmentation:end -->"
# bash benchmarks/augmentation.sh: (arm in the table, arm in the chart, result name); the online arm
# is the foundation benchmark
AUGMENTATION_ARMS = (
    ("none", "none", "aug_none"),
    ("study's image augmentation", "study image", "aug_study_image"),
    ("offline audio (5× data)", "offline audio", "aug_offline_audio"),
    ("online (waveform + SpecAugment + mixup)", "online", "compact_cnn_ema"),
    ("offline + online", "offline + online", "aug_offline_plus_online"),
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
        lines.append(table_row(cells))
    return "\n".join(lines)


def headline_table() -> str:
    """The README's few rows (``HEADLINE``), each with its command, read from the same result files."""
    lines = ["| model | 5-fold CV accuracy | command |", "|---|---|---|"]
    for what, name in HEADLINE:
        r = json.loads((RESULTS / f"{name}.json").read_text())
        lines.append(table_row([what, f"**{r['mean_accuracy']:.1%}** ± {r['std_accuracy']:.1%}", f"`{r['command']}`"]))
    return "\n".join(lines)


def table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"  # a bare | would split the cell


def wall_minutes(result: dict) -> str:
    """Wall time, marked when the run was held to one torch thread (as when two runs share the machine)
    or shared the machine with other jobs (``shared_machine``: not a timing)."""
    minutes = f"{result['wall_seconds'] / 60:.1f}"
    if result.get("shared_machine"):
        return minutes + " (shared machine)"
    return minutes + " (1 thread)" if result.get("threads") == 1 else minutes


def finished_arms() -> dict[str, dict]:
    """The augmentation arms' results that exist, by result name."""
    paths = {name: RESULTS / f"{name}.json" for _, _, name in AUGMENTATION_ARMS}
    return {name: json.loads(path.read_text()) for name, path in paths.items() if path.exists()}


def augmentation_table() -> str:
    """The augmentation experiment's arms side by side, each against the no-augmentation arm."""
    results = finished_arms()
    baseline = results.get("aug_none")
    lines = ["| arm | epochs | accuracy per fold (1–5) | mean ± std | vs none |", "|---|---|---|---|---|"]
    for arm, _, name in AUGMENTATION_ARMS:
        r = results.get(name)
        if r is None:
            lines.append(f"| {arm} | | not finished | | |")
            continue
        folds = " / ".join(f"{a:.1%}" for a in r["fold_accuracy"])
        delta = ""
        if baseline and name != "aug_none":
            # paired by fold: each fold's test clips are the same in every arm, so the per-fold gains
            # are free of the fold-to-fold difficulty that makes up most of each arm's own spread
            gains = [100 * (a - b) for a, b in zip(r["fold_accuracy"], baseline["fold_accuracy"])]
            better = sum(g > 0 for g in gains)
            delta = f"{statistics.mean(gains):+.1f} ± {statistics.pstdev(gains):.1f} points, better on {better}/{len(gains)} folds"
        lines.append(f"| {arm} | {r['config']['train']['epochs']} | {folds} | **{r['mean_accuracy']:.1%}** ± {r['std_accuracy']:.1%} | {delta} |")
    return "\n".join(lines)


def augmentation_chart(path: Path) -> Path:
    """Bar chart of the finished arms (mean ± std, one dot per fold), against human accuracy."""
    from envsound.evaluation.plots import compare_figure

    results = finished_arms()
    if not results:
        raise SystemExit("no augmentation arm has a result yet: run bash benchmarks/augmentation.sh")
    names, results = zip(*[(label, results[name]) for _, label, name in AUGMENTATION_ARMS if name in results])
    title = "Augmentation arms: compact CNN, ESC-50 official folds, equal optimiser steps"
    return compare_figure(names, [r["fold_accuracy"] for r in results], path, reference=("human accuracy", 0.813), title=title,
                          baseline=names.index("none") if "none" in names else None)


def replace_block(content: str, start: str, end: str, text: str) -> str:
    if start not in content or end not in content:
        raise SystemExit(f"no {start} … {end} markers in the page to rewrite")
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{text}\n{end}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readme", action="store_true", help="Rewrite the tables in README.md, docs/results.md and docs/experiments.md instead of printing")
    parser.add_argument("--augmentation-chart", type=Path, metavar="PNG", help="Also draw the augmentation arms' chart")
    args = parser.parse_args()
    if args.augmentation_chart:
        print(f"wrote {augmentation_chart(args.augmentation_chart)}")
    text = table()
    if not args.readme:
        print(text)
        return
    repo = RESULTS.parent.parent
    results_page = repo / "docs" / "results.md"
    results_page.write_text(replace_block(results_page.read_text(), START, END, text))
    readme = repo / "README.md"
    readme.write_text(replace_block(readme.read_text(), HEADLINE_START, HEADLINE_END, headline_table()))
    experiments = repo / "docs" / "experiments.md"
    experiments.write_text(replace_block(experiments.read_text(), AUG_START, AUG_END, augmentation_table()))


if __name__ == "__main__":
    main()
