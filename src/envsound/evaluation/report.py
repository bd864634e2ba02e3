"""One self-contained ``report.html`` per run (images embedded), with the PNGs beside it."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np

from envsound.data import DatasetInfo, dataset_info
from envsound.errors import DatasetError
from envsound.evaluation import plots
from envsound.evaluation.metrics import (
    confusion_matrix,
    macro_confusion,
    normalise_rows,
    per_class_accuracy,
    top_confusions,
)
from envsound.models.calibration import cross_fit, reliability, scale
from envsound.runs import RunResults, load_run
from envsound.utils import atomic_path, write_json


def _human_accuracy(results: RunResults, info: DatasetInfo | None) -> dict[str, float] | None:
    """Per-class human accuracy where the dataset publishes it (ESC-50), read beside its data."""
    if info is None or info.human_per_class is None:
        return None
    run = results.config["run"]
    root = Path(run["data_root"]) if run.get("data_root") else info.default_root() if info.default_root else None
    try:
        return info.human_per_class(root) if root is not None else None
    except DatasetError:
        return None


def build_report(run_dir: str | Path) -> Path:
    results = load_run(run_dir)
    out = results.run_dir / "report"
    out.mkdir(exist_ok=True)
    n = len(results.classes)
    preds = results.predictions
    info = dataset_info(results.config["run"].get("dataset"))
    macro_ok = info is not None and bool(info.macro_categories) and info.n_classes == n
    group_size = len(info.macro_categories[0][1]) if macro_ok else None
    figures: list[tuple[str, Path | None, str]] = []
    figures.append(("Training curves", plots.epoch_boxplots(results.histories, out / "epochs.png"), "Per-epoch train and test-fold accuracy and loss; one box per epoch over folds."))
    full = normalise_rows(confusion_matrix(results.targets, preds, n))
    figures.append((f"Confusion matrix ({n}×{n})", plots.confusion_figure(full, results.classes, out / "confusion.png", f"Confusion matrix, row-normalised ({len(results.targets)} test predictions)", group_size=group_size), "Rows: true class; columns: predicted. Lines separate the macro categories." if macro_ok else "Rows: true class; columns: predicted."))
    macro_acc = None
    if macro_ok:
        counts = macro_confusion(results.targets, preds, info.macro_group_of())
        macro, macro_acc, names = normalise_rows(counts), float(np.trace(counts) / len(preds)), [name for name, _ in info.macro_categories]
        figures.append((f"Macro categories ({len(names)}×{len(names)})", plots.confusion_figure(macro, names, out / "confusion_macro.png", "Macro-category confusion, row-normalised"), "Mistakes inside a category stay on the diagonal here."))
    human = _human_accuracy(results, info)
    class_acc = per_class_accuracy(results.targets, preds, n)
    figures.append(("Per-class accuracy", plots.per_class_figure(results.classes, class_acc, human, out / "per_class.png"), "Human figures: ESC-50's crowd-sourced listening study (meta/esc50-human.xlsx)." if human else ""))
    calibration = None
    if len(results.folds) > 1:
        calibration = cross_fit(results.probs, results.targets, results.fold_of)
        scaled = np.empty_like(results.probs, dtype=np.float64)
        for fold in calibration["per_fold"]:
            scaled[results.fold_of == fold["fold"]] = scale(results.probs[results.fold_of == fold["fold"]], fold["temperature"])
        curves = {"as trained": reliability(results.probs, results.targets), "temperature-scaled (cross-fitted)": reliability(scaled, results.targets)}
        figures.append(("Calibration", plots.reliability_figure(curves, out / "reliability.png", "Reliability: is a 90 % answer right 90 % of the time?"),
                        f"ECE {calibration['ece']:.1%} as trained, {calibration['ece_calibrated']:.1%} after temperature scaling fitted on the other folds only. "
                        f"Abstaining below the threshold that keeps 95 % of the other folds' clips answered: {calibration['coverage']:.1%} answered here, "
                        f"{calibration['accuracy_answered']:.1%} of them right."))
    confusions = top_confusions(results)
    summary = {
        "mean_accuracy": results.metrics["mean_accuracy"],
        "std_accuracy": results.metrics["std_accuracy"],
        "fold_accuracy": results.metrics["fold_accuracy"],
        "pooled_accuracy": float((preds == results.targets).mean()),
        "macro_category_accuracy": macro_acc,
        "per_class_accuracy": dict(zip(results.classes, map(float, class_acc))),
        "human_per_class_accuracy": human,
        "top_confusions": confusions,
        "calibration": calibration,
    }
    write_json(out / "summary.json", summary)
    page = _html(results, figures, summary)
    with atomic_path(results.run_dir / "report.html") as tmp:
        tmp.write_text(page)
    return results.run_dir / "report.html"


def _img(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _html(results: RunResults, figures: list[tuple[str, Path | None, str]], summary: dict) -> str:
    cfg, metrics = results.config, results.metrics
    esc = html.escape
    folds = "".join(f"<td>{a:.1%}</td>" for a in metrics["fold_accuracy"])
    fold_heads = "".join(f"<th>fold {f}</th>" for f in results.folds)
    rows = "".join(
        f"<tr><td>{esc(c['true'])}</td><td>{esc(c['predicted'])}</td><td>{c['count']}</td><td>{esc(', '.join(c['clips']))}</td></tr>" for c in summary["top_confusions"]
    )
    sections = "".join(
        f"<section><h2>{esc(title)}</h2><p>{esc(note)}</p><img src='{_img(path)}' alt='{esc(title)}'></section>" for title, path, note in figures if path
    )
    env = cfg.get("environment", {})
    macro = f"<p>Macro-category accuracy: <b>{summary['macro_category_accuracy']:.1%}</b></p>" if summary["macro_category_accuracy"] is not None else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>envsound report: {esc(results.run_dir.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222; padding: 0 1em; }}
table {{ border-collapse: collapse; margin: 1em 0; }} td, th {{ border: 1px solid #ccc; padding: 4px 10px; text-align: left; }}
img {{ max-width: 100%; }} .big {{ font-size: 2em; font-weight: bold; }} pre {{ background: #f5f5f5; padding: 1em; overflow-x: auto; }}
</style></head><body>
<h1>{esc(cfg.get('model', {}).get('name', '?'))} on {esc(cfg['dataset']['name'])}</h1>
<p class="big">{metrics['mean_accuracy']:.1%} ± {metrics['std_accuracy']:.1%}</p>
<p>mean ± std accuracy over {len(results.folds)} folds ({esc(cfg.get('model', {}).get('description', ''))})</p>
<table><tr>{fold_heads}</tr><tr>{folds}</tr></table>
{macro}
{sections}
<section><h2>Most frequent confusions</h2><table><tr><th>true</th><th>predicted</th><th>clips</th><th>examples</th></tr>{rows}</table></section>
<section><h2>Reproduce</h2>
<p>Command: <code>{esc(str(cfg.get('command')))}</code></p>
<p>Seed {esc(str(cfg.get('seed')))} · training wall time {metrics['wall_seconds'] / 60:.1f} min · {esc(str(env.get('device')))} · torch {esc(str(env.get('torch')))} · envsound {esc(str(env.get('envsound')))} · started {esc(str(cfg.get('started')))}</p>
<pre>{esc(json.dumps(cfg['run'], indent=2))}</pre></section>
</body></html>
"""
