"""`envsound evaluate MODEL DATA`: how a model does on labelled clips it never saw.

The figures a user needs before trusting a model with their own sounds, from the answers the
model gives (calibration, "unknown" and background included, as `predict` answers):
- accuracy of the top label, overall and per class, and the confusion of answers (true class
  against answer, with `unknown` and `background` as columns);
- the share of clips answered with a class, accuracy on those, and the expected calibration error
  of the top probability;
- for sounds that are none of the model's classes (a negatives folder, or clips whose label the
  model does not know), the share called `unknown` or `background`, and what the rest were called.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from envsound.data.manifest import Manifest
from envsound.errors import DatasetError
from envsound.inference.predict import Predictor
from envsound.models.calibration import top_label_ece
from envsound.models.decision import BACKGROUND, UNKNOWN
from envsound.utils import shown_name


def evaluate(predictor: Predictor, manifest: Manifest, negatives: Sequence[str | Path] = (), progress: bool = False) -> dict:
    """Every clip of ``manifest`` and every file of ``negatives`` scored once; the figures as a dict
    (JSON-ready). Clips of a label the model does not know count with the negatives."""
    classes = list(predictor.classes)
    known = [c for c in manifest.clips if c.label in classes]
    if not known:
        raise DatasetError(f"dataset '{manifest.name}' has no clip of the model's classes ({', '.join(classes[:5])}{', …' if len(classes) > 5 else ''})")
    foreign = [c.path for c in manifest.clips if c.label not in classes] + [Path(p) for p in negatives]
    results = predictor.predict([c.path for c in known] + foreign, top_k=1, progress=progress)
    scored, rest = results[: len(known)], results[len(known) :]
    errors = [{"file": shown_name(r.file), "error": r.error} for r in results if r.error]
    pairs = [(c.label, r) for c, r in zip(known, scored) if not r.error]
    truth = np.array([classes.index(label) for label, _ in pairs])
    top = np.array([classes.index(r.labels[0]) for _, r in pairs])
    confidence = np.array([r.probabilities[0] for _, r in pairs])
    answered = np.array([not (r.abstained or r.background) for _, r in pairs])
    right = top == truth
    present = [name for name in classes if name in {label for label, _ in pairs}]
    columns = classes + [UNKNOWN, BACKGROUND]
    confusion = {name: dict.fromkeys(columns, 0) for name in present}
    for label, r in pairs:
        confusion[label][r.answer] += 1
    rejected = [r for r in rest if not r.error]
    return {
        "dataset": manifest.name, "clips": len(known), "classes": present,
        "accuracy": _share(right), "per_class_accuracy": {name: _share(right[truth == classes.index(name)]) for name in present},
        "answered": _share(answered), "accuracy_answered": _share(right[answered]) if answered.any() else None,
        "ece": round(top_label_ece(confidence, right), 4) if len(pairs) else None,
        "confusion": {"rows": present, "columns": columns, "counts": [[confusion[name][col] for col in columns] for name in present]},
        "negatives": {"files": len(rejected), "rejected": _share(np.array([r.abstained or r.background for r in rejected])) if rejected else None,
                      "called": dict(Counter(r.answer for r in rejected if not (r.abstained or r.background)).most_common(10))},
        "errors": errors,
    }


def _share(flags: np.ndarray) -> float | None:
    return round(float(np.mean(flags)), 4) if len(flags) else None


def evaluation_html(figures: dict, model_name: str) -> str:
    """The figures as a self-contained page (every name escaped: labels and file names are the user's)."""
    esc = html.escape

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.1%}"

    per_class = "".join(f"<tr><td>{esc(name)}</td><td>{pct(acc)}</td></tr>" for name, acc in figures["per_class_accuracy"].items())
    matrix = figures["confusion"]
    head = "".join(f"<th>{esc(col)}</th>" for col in matrix["columns"])
    body = "".join(f"<tr><th>{esc(row)}</th>" + "".join(f"<td>{n or ''}</td>" for n in counts) + "</tr>" for row, counts in zip(matrix["rows"], matrix["counts"]))
    negatives = figures["negatives"]
    called = ", ".join(f"{esc(k)} ({v})" for k, v in negatives["called"].items()) or "–"
    errors = "".join(f"<li>{esc(e['file'])}: {esc(e['error'])}</li>" for e in figures["errors"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>envsound evaluate: {esc(model_name)} on {esc(figures['dataset'])}</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }} td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; }}</style></head><body>
<h1>{esc(model_name)} on {esc(figures['dataset'])}</h1>
<table>
<tr><th>clips of the model's classes</th><td>{figures['clips']}</td></tr>
<tr><th>top label right</th><td>{pct(figures['accuracy'])}</td></tr>
<tr><th>answered with a class</th><td>{pct(figures['answered'])}</td></tr>
<tr><th>right, of those answered</th><td>{pct(figures['accuracy_answered'])}</td></tr>
<tr><th>expected calibration error</th><td>{pct(figures['ece'])}</td></tr>
<tr><th>sounds of none of the classes</th><td>{negatives['files']}</td></tr>
<tr><th>of those, called unknown or background</th><td>{pct(negatives['rejected'])}</td></tr>
<tr><th>the others were called</th><td>{called}</td></tr>
</table>
<h2>Per class</h2><table><tr><th>class</th><th>top label right</th></tr>{per_class}</table>
<h2>Answers (rows: the true class)</h2><table><tr><th></th>{head}</tr>{body}</table>
{f'<h2>Files that could not be scored</h2><ul>{errors}</ul>' if errors else ''}
</body></html>
"""


def write_evaluation(figures: dict, model_name: str, out: str | Path, report: str | Path | None = None) -> None:
    """JSON to ``out``; the HTML page to ``report`` when given (both atomically)."""
    from envsound.utils import atomic_path

    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(figures, indent=2) + "\n")
    if report is not None:
        with atomic_path(report) as tmp:
            tmp.write_text(evaluation_html(figures, model_name))
