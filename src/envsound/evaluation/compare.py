"""Several runs side by side: a markdown table and a bar chart of mean ± std accuracy."""

from __future__ import annotations

from pathlib import Path

from envsound.errors import RunError
from envsound.evaluation import plots
from envsound.utils import read_json


def compare_runs(run_dirs: list[str | Path], out_png: str | Path, labels: list[str] | None = None) -> str:
    """``labels`` name the runs in the table and chart (default: the folder names)."""
    run_dirs = [Path(r) for r in run_dirs]
    if labels is not None and len(labels) != len(run_dirs):
        raise RunError(f"{len(labels)} labels for {len(run_dirs)} runs")
    rows, names, accs, datasets = [], [], [], set()
    for run, name in zip(run_dirs, labels or [r.name for r in run_dirs]):
        if not (run / "metrics.json").exists():
            raise RunError(f"{run}: not a finished run (no metrics.json)")
        metrics, config = read_json(run / "metrics.json"), read_json(run / "config.json")
        names.append(name)
        accs.append(metrics["fold_accuracy"])
        datasets.add(config["dataset"]["name"])
        rows.append(f"| {name} | {config['model']['name']} | {config['dataset']['name']} | {len(metrics['folds'])} | {metrics['mean_accuracy']:.1%} ± {metrics['std_accuracy']:.1%} |")
    # ESC-50's human listeners (Piczak 2015) are the natural yardstick when every run is ESC-50
    plots.compare_figure(names, accs, out_png, reference=("human accuracy", 0.813) if datasets == {"esc50"} else None)
    header = "| run | model | dataset | folds | accuracy |\n|---|---|---|---|---|\n"
    return header + "\n".join(rows)
