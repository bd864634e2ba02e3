"""Official 5-fold ESC-50 cross-validation of one model; writes benchmarks/results/<name>.json.

    python benchmarks/esc50_cv.py --name compact_cnn --model compact
    python benchmarks/esc50_cv.py --name study_cnn --model study_cnn --epochs 30

The run folder (runs/bench-<name>) is resumable: rerun the same command after an interruption.
"""

from __future__ import annotations

import argparse
import csv
import re
import shlex
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from envsound.config import RunConfig, load_config, parse_overrides
from envsound.models.registry import ModelSpec, get_model, resolve
from envsound.runs import device_name
from envsound.training.crossval import cross_validate
from envsound.utils import read_json, write_json

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def result_path(name: str) -> Path:
    """benchmarks/results/<name>.json. A name is a plain file name (it also names runs/bench-<name>),
    so one that is a path or climbs out ('..') stops the script with one line."""
    if not PLAIN_NAME.fullmatch(name) or ".." in name:
        raise SystemExit(f"error: name {name!r}: use letters, digits, '_', '-' and '.' (it names benchmarks/results/<name>.json)")
    return RESULTS / f"{name}.json"


def git_commit() -> str:
    """HEAD when called (call it before the run starts), marked '+dirty' if src/ has uncommitted edits."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def augmentation_summary(cfg: RunConfig, spec: ModelSpec) -> str:
    """What the model saw: offline copies (from the manifest's transform column), then online ones."""
    t = cfg.train
    offline = sorted({row["transform"] for row in _manifest_rows(cfg.dataset) if row.get("transform")})
    online = (
        ("time_roll", t.time_roll),
        ("gain", t.gain_db > 0),
        ("specaugment", t.spec_augment),
        ("study_image", t.image_augment),
    )
    # feature vectors (the classic method's networks) get mixup only; see training/loop.py
    parts = [f"offline({','.join(offline)})"] if offline else []
    if spec.kind == "network":  # a scikit-learn model sees only the offline copies
        parts += [name for name, on in online if on and spec.method != "classic"]
        parts += [f"mixup{t.mixup_alpha}"] if t.mixup_alpha > 0 else []
    return "+".join(parts) or "none"


def _manifest_rows(dataset: str) -> list[dict[str, str]]:
    path = Path(dataset)
    if path.suffix != ".csv" or not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True, help="Result name: benchmarks/results/<name>.json")
    parser.add_argument("--model", default=None, help="Model name (default: the --config's, else compact)")
    parser.add_argument("--dataset", default="esc50")
    parser.add_argument("--data", default=None, help="Dataset root (default $ENVSOUND_ESC50 or ../shared/data/esc50)")
    parser.add_argument("--folds", default=None, help="Comma-separated subset of folds (default: all five)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", type=Path, default=None, help="JSON RunConfig to start from (a file, or a shipped recipe by name)")
    parser.add_argument("--save-models", action="store_true", help="keep each fold's model (fold-K/model.pt) for later scoring")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="Override a TrainConfig field, e.g. --set lr=0.001 --set head_init=probe --set 'model_kwargs={\"width\": 32}'")
    parser.add_argument("--runs", type=Path, default=REPO / "runs")
    parser.add_argument("--cold-cache", action="store_true", help="Compute features into a fresh cache, so wall_seconds includes feature extraction")
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work

    cfg = load_config(args.config) if args.config else RunConfig()
    cfg = replace(cfg, dataset=args.dataset, data_root=args.data, folds=tuple(int(f) for f in args.folds.split(",")) if args.folds else None)
    changes = {"model": args.model or cfg.train.model, "seed": args.seed, **({"epochs": args.epochs} if args.epochs else {})}
    cfg = cfg.with_train(**changes, **parse_overrides(args.set))
    command = "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]])
    run_dir = args.runs / f"bench-{args.name}"
    resume = (run_dir / "config.json").exists()
    if resume and resolve(RunConfig.from_dict(read_json(run_dir / "config.json")["run"])) != resolve(cfg):
        sys.exit(f"error: {run_dir} holds a run with another config; remove it or choose another --name")
    if args.cold_cache:
        import os
        import tempfile

        os.environ["ENVSOUND_CACHE"] = tempfile.mkdtemp(prefix="envsound-bench-cache-")
    commit = git_commit()  # the code the run starts with, not what HEAD has moved to by its end
    out = result_path(args.name)
    # Rerunning a finished run trains nothing: its result keeps the time, commit and date it was made with.
    made = read_json(out) if (run_dir / "metrics.json").exists() and out.exists() else {}
    started = time.perf_counter()
    metrics = cross_validate(None if resume else cfg, run_dir, resume=resume, command=command, save_models=args.save_models)
    # A fresh run is timed end to end (features included); a resumed one adds up its folds' times.
    wall = made.get("wall_seconds", metrics["wall_seconds"] if resume else time.perf_counter() - started)
    spec = get_model(cfg.train.model)
    result = {
        "name": args.name,
        "model": spec.name,
        "method": spec.method,
        "pretrained": spec.pretrained,
        "augmentation": augmentation_summary(cfg, spec),
        "dataset": cfg.dataset,
        "folds": metrics["folds"],
        "fold_accuracy": metrics["fold_accuracy"],
        "mean_accuracy": metrics["mean_accuracy"],
        "std_accuracy": metrics["std_accuracy"],
        "wall_seconds": wall,
        # the evaluated model is the weight average; these are the last step's weights, for comparison
        **{k: metrics[k] for k in ("fold_accuracy_last_step", "mean_accuracy_last_step") if k in metrics},
        "feature_cache": "cold" if args.cold_cache else "warm or resumed",
        "device": device_name(),
        # torch threads the run trained with (runs side by side on one machine get fewer each)
        "threads": read_json(run_dir / "config.json")["environment"].get("threads"),
        "command": command,
        "commit": made.get("commit", commit),
        "date": made.get("date", datetime.now(timezone.utc).date().isoformat()),
        "config": cfg.to_dict(),
    }
    write_json(out, result)
    print(f"{args.name}: {result['mean_accuracy']:.1%} ± {result['std_accuracy']:.1%} in {result['wall_seconds']:.0f} s → {out}")


if __name__ == "__main__":
    main()
