"""Several runs side by side: a markdown table and a bar chart of mean ± std accuracy."""

from __future__ import annotations

from pathlib import Path

from envsound.data import dataset_info
from envsound.errors import RunError
from envsound.evaluation import plots
from envsound.runs import RunFolder


def compare_runs(run_dirs: list[str | Path], out_png: str | Path, labels: list[str] | None = None, baseline: str | None = None) -> str:
    """``labels`` name the runs in the table and chart (default: the folder names); ``baseline``
    names the run the others' per-fold gains are measured against (runs must share their folds)."""
    run_dirs = [Path(r) for r in run_dirs]
    if labels is not None and len(labels) != len(run_dirs):
        raise RunError(f"{len(labels)} labels for {len(run_dirs)} runs")
    rows, names, accs, datasets, folds = [], [], [], set(), set()
    for run, name in zip(run_dirs, labels or [r.name for r in run_dirs]):
        folder = RunFolder(run)
        folder.require_finished()
        metrics, config = folder.read_metrics(), folder.read_config()
        names.append(name)
        accs.append(metrics["fold_accuracy"])
        datasets.add(config["dataset"]["name"])
        folds.add(tuple(metrics["folds"]))
        rows.append(f"| {name} | {config['model']['name']} | {config['dataset']['name']} | {len(metrics['folds'])} | {metrics['mean_accuracy']:.1%} ± {metrics['std_accuracy']:.1%} |")
    if baseline is not None and baseline not in names:
        raise RunError(f"baseline {baseline!r} is not one of the runs ({', '.join(names)})")
    if baseline is not None and len(folds) > 1:
        raise RunError("a baseline needs runs on the same folds: gains are paired fold by fold")
    # published human listeners (ESC-50's, Piczak 2015) are the natural yardstick when every run shares that dataset
    info = dataset_info(next(iter(datasets))) if len(datasets) == 1 else None
    reference = ("human accuracy", info.human_accuracy) if info is not None and info.human_accuracy else None
    plots.compare_figure(names, accs, out_png, reference=reference, baseline=None if baseline is None else names.index(baseline))
    header = "| run | model | dataset | folds | accuracy |\n|---|---|---|---|---|\n"
    return header + "\n".join(rows)
