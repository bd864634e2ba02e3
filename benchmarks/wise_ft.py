"""Weight-space ensembling (WiSE-FT) of a finished LP-FT run with the network it started from;
writes benchmarks/results/<name>.json and a run folder runs/bench-<name> (fold models kept).

    python benchmarks/wise_ft.py kd_student_lpft --alpha 0.5 --name wise_kd_student_lpft

The shipped model averages two networks' *outputs* (a probe and a fine-tune): two forward passes.
WiSE-FT (Wortsman et al., "Robust fine-tuning of zero-shot models", 2022) averages *weights*
instead: θ(α) = (1 − α)·θ_start + α·θ_fine-tuned, one network, one forward pass. It needs both ends
to share their start, which LP-FT gives: each fold's fine-tune began from the pretrained backbone
with a linear probe fitted on that fold's training clips (``head_init=probe``). That start is
rebuilt here exactly as the training loop built it, from the training folds only, so the fold's
test clips are seen only when the interpolated network is scored. α is fixed by ``--alpha`` in
advance; ``--curve`` also scores other α values and records them, for reading, never for choosing.
Training with ``--set wise_alpha=A`` does the same inside the loop (``training/ema.py``), so a model
file is made the same way; this script reuses a run's kept fold models instead of retraining.

``--with OTHER_RUN``: the fine-tuned end is a uniform *model soup* (Wortsman et al., "Model soups",
2022) of the fold's networks from every run named, which must have started from the same point (the
same LP-FT recipe and training folds, e.g. one schedule run twice as long); ``--alpha 1`` is the
soup alone.

``--inner A [A ...]``: α is *chosen* per fold instead of fixed, on an inner split of that fold's
training folds only. For test fold k the next fold v (cyclically) is set aside, a student is trained
again with the run's own recipe on the other three (its teacher: the fold-k teacher, which never
saw fold k), the start is rebuilt from those three, and the α among A that scores best on fold v
(ties: the one closest to ``--alpha``) is applied to the fold-k network. Fold k's clips are seen only
when its chosen network is scored. Inner students are kept in runs/bench-<name>-inner (resumable).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from envsound.config import RunConfig
from envsound.data import load_dataset
from envsound.data.splits import fold_assignment, split_indices
from envsound.errors import RunError
from envsound.features.cache import load_or_compute
from envsound.models.model_file import load_model, save_model
from envsound.models.registry import get_model, resolve, run_config_dict
from envsound.runs import RunFolder, device_name, environment, summarize
from envsound.training.distill import fold_teaching
from envsound.training.ema import interpolate_weights
from envsound.training.fitting import fit_model, predict_proba
from envsound.utils import read_json, stable_hash, write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="benchmark name of a finished LP-FT run with fold models (runs/bench-<run>)")
    parser.add_argument("--alpha", type=float, default=0.5, help="weight of the fine-tuned network, fixed before scoring")
    parser.add_argument("--curve", type=float, nargs="*", default=[], help="other α values to score and record (not used to choose)")
    parser.add_argument("--with", dest="others", nargs="*", default=[], help="more finished runs from the same start whose fold networks are averaged into the fine-tuned end (a uniform soup)")
    parser.add_argument("--inner", type=float, nargs="+", default=None, metavar="ALPHA",
                        help="choose α per fold among these on an inner split of its training folds (a student trained again there) instead of fixing --alpha")
    parser.add_argument("--name", required=True)
    parser.add_argument("--runs", type=Path, default=REPO / "runs")
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    command = "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]])
    torch.manual_seed(0)
    source = args.runs / f"bench-{args.run}"
    saved = RunFolder(source).read_config()
    cfg = resolve(RunConfig.from_dict(saved["run"]))
    if cfg.train.head_init != "probe":
        raise RunError(f"{source}: trained from a random head (head_init={cfg.train.head_init!r}); WiSE-FT needs the start it was tuned from")
    others = [args.runs / f"bench-{other}" for other in args.others]
    for other in others:
        theirs = resolve(RunConfig.from_dict(read_json(other / "config.json")["run"]))
        if (theirs.train.model, theirs.train.head_init, theirs.dataset, theirs.features) != (cfg.train.model, cfg.train.head_init, cfg.dataset, cfg.features):
            raise RunError(f"{other}: not the same start as {source} (model, head_init, dataset and features must agree)")
    spec = get_model(cfg.train.model)
    manifest = load_dataset(cfg.dataset, cfg.data_root)
    if manifest.fingerprint() != saved["dataset"]["fingerprint"]:
        raise RunError(f"{source}: the dataset changed since this run")
    x_all = np.asarray(load_or_compute(manifest, spec.extractor(cfg)).features, dtype=np.float32)
    y_all = manifest.targets
    fold_ids = fold_assignment(manifest, cfg.n_folds, cfg.train.seed)
    folds = saved["dataset"]["folds"]
    out_dir = args.runs / f"bench-{args.name}"
    if out_dir.exists():  # derived in minutes from kept fold models: recompute rather than resume
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    made = resolve(cfg.with_train(wise_alpha=args.alpha))  # what `--set wise_alpha` would train: the models say how they were made
    out = RunFolder(out_dir)
    out.write_config(
        {**saved, "run": run_config_dict(made), "command": command, "environment": environment(), "wise_ft": {"source": str(source.relative_to(REPO) if source.is_relative_to(REPO) else source), "alpha": args.alpha, "soup_with": args.others}},
    )
    alphas = sorted({args.alpha, *args.curve, *(args.inner or [])})
    chosen_alphas: dict[int, dict] = {}
    curve: dict[str, list[float]] = {f"{a:g}": [] for a in alphas}
    for fold in folds:
        started = time.perf_counter()
        train_idx, test_idx = split_indices(fold_ids, fold)
        tuned = load_model(RunFolder(source).saved_fold_model(fold))
        ingredients = [tuned] + [load_model(RunFolder(other).saved_fold_model(fold)) for other in others]
        for where, ingredient in zip([source, *others], ingredients):
            if ingredient.info.get("trained_on_folds") != sorted(int(f) for f in np.unique(fold_ids[train_idx])):
                raise RunError(f"{where}/fold-{fold}: its model was not trained on this fold's training folds")
        start = spec.build(len(manifest.classes), cfg, pretrained=True)  # the backbone as downloaded ...
        start.fit_head_probe(torch.from_numpy(x_all[train_idx]), torch.from_numpy(y_all[train_idx]))  # ... + the probe LP-FT began from
        start_state, tuned_state = start.state_dict(), tuned.model.state_dict()
        for k, ingredient in enumerate(ingredients[1:], start=2):  # running mean: the k-th network weighs 1/k
            tuned_state = interpolate_weights(tuned_state, ingredient.model.state_dict(), 1.0 / k)
        network = spec.build(len(manifest.classes), cfg, pretrained=False)
        chosen = args.alpha
        if args.inner:
            chosen_alphas[fold] = inner_choice(spec, cfg, manifest, x_all, y_all, fold_ids, folds, fold, args.inner, args.alpha, args.runs / f"bench-{args.name}-inner")
            chosen = chosen_alphas[fold]["alpha"]
        for alpha in alphas:
            network.load_state_dict(interpolate_weights(start_state, tuned_state, alpha))
            probs = predict_proba(spec, network, x_all[test_idx], len(manifest.classes))
            curve[f"{alpha:g}"].append(float((probs.argmax(1) == y_all[test_idx]).mean()))
            if alpha == chosen:
                chosen_probs, accuracy = probs, curve[f"{alpha:g}"][-1]
                out.fold(fold).mkdir()
                save_model(out.fold_model(fold), spec, network, manifest.classes, made, {**tuned.info, "wise_ft_alpha": alpha})
        out.write_fold(fold, test_idx, np.array([manifest.clips[i].clip_id for i in test_idx]), y_all[test_idx], chosen_probs, {},
                       {"fold": fold, "accuracy": accuracy, "n_train": len(train_idx), "n_test": len(test_idx), "seconds": time.perf_counter() - started,
                        "tuned": chosen_alphas.get(fold, {"alpha": args.alpha})})
        print(f"fold {fold}: " + "  ".join(f"α={a}: {acc[-1]:.2%}" for a, acc in curve.items()), flush=True)
    metrics = summarize(out_dir, folds)
    out.write_metrics(metrics)
    source_result = read_json(result_path(args.run))
    result = {
        "name": args.name,
        "model": source_result["model"],
        "method": "wise_ft",
        "pretrained": True,
        "augmentation": source_result["augmentation"],
        "dataset": source_result["dataset"],
        "folds": metrics["folds"],
        "fold_accuracy": metrics["fold_accuracy"],
        "mean_accuracy": metrics["mean_accuracy"],
        "std_accuracy": metrics["std_accuracy"],
        "calibration": metrics["calibration"],
        "wall_seconds": source_result["wall_seconds"] + metrics["wall_seconds"],
        "alpha": args.alpha if not args.inner else {str(f): c["alpha"] for f, c in chosen_alphas.items()},
        "inner": None if not args.inner else {"grid": args.inner, "folds": {str(f): c for f, c in chosen_alphas.items()},
                                              "rule": "per fold k: a student trained on its training folds but the next one (v), with the fold-k teacher; the α scoring best on fold v (ties: closest to --alpha)"},
        "curve": {a: {"fold_accuracy": acc, "mean_accuracy": float(np.mean(acc))} for a, acc in curve.items()},
        "curve_note": "every α scored on the test folds, for reading only: α was fixed before any was scored, or chosen on an inner split",
        "source": {"name": args.run, "mean_accuracy": source_result["mean_accuracy"], "command": source_result["command"]},
        "soup_with": [{"name": other, "mean_accuracy": read_json(result_path(other))["mean_accuracy"]} for other in args.others],
        "config": {"run": run_config_dict(made), "alpha": args.alpha, "inner": args.inner},
        "device": device_name(),
        "command": command,
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(result_path(args.name), result)
    print(f"{args.name}: {metrics['mean_accuracy']:.2%} (α = {result['alpha']}; {args.run}: {source_result['mean_accuracy']:.2%})")


def inner_choice(spec, cfg: RunConfig, manifest, x_all: np.ndarray, y_all: np.ndarray, fold_ids: np.ndarray, folds: list[int], fold: int,
                 grid: list[float], prefer: float, inner_dir: Path) -> dict:
    """α for test fold ``fold``, chosen on its training folds alone (see ``--inner``)."""
    inner_val = folds[(folds.index(fold) + 1) % len(folds)]
    inner_train = np.flatnonzero((fold_ids != fold) & (fold_ids != inner_val))
    val = np.flatnonzero(fold_ids == inner_val)
    where = inner_dir / f"fold-{fold}"
    where.mkdir(parents=True, exist_ok=True)
    kept = where / "model.pt"
    if kept.exists():
        student = load_model(kept).model
    else:
        soft, teacher = None, None
        if cfg.train.teacher:
            soft, teacher, _ = fold_teaching(cfg, spec, manifest, inner_train, x_all[inner_train], y_all[inner_train], fold, fold_ids)
        identity = stable_hash({"run": run_config_dict(cfg), "data": manifest.fingerprint(), "inner": [fold, inner_val]})

        def report(epoch: int, last: dict) -> None:
            print(f"  inner {fold}/{inner_val} epoch {epoch}/{cfg.train.epochs}  loss {last['train_loss']:.3f}  fold-{inner_val} acc {last['val_acc']:.1%}  ({last['epoch_seconds']:.1f}s)", flush=True)

        student = fit_model(spec, cfg, x_all[inner_train], y_all[inner_train], fold_ids[inner_train], len(manifest.classes), where / "checkpoint.pt",
                            x_all[val], y_all[val], on_epoch=report, units_per_db=getattr(spec.extractor(cfg), "units_per_db", None), identity=identity,
                            soft_targets=soft, teacher=teacher).model
        save_model(kept, spec, student, manifest.classes, cfg, {"inner_of_fold": fold, "trained_on_folds": sorted(int(f) for f in np.unique(fold_ids[inner_train]))})
        (where / "checkpoint.pt").unlink(missing_ok=True)
    start = spec.build(len(manifest.classes), cfg, pretrained=True)
    start.fit_head_probe(torch.from_numpy(x_all[inner_train]), torch.from_numpy(y_all[inner_train]))
    network = spec.build(len(manifest.classes), cfg, pretrained=False)
    scores = {}
    for alpha in grid:
        network.load_state_dict(interpolate_weights(start.state_dict(), student.state_dict(), alpha))
        scores[alpha] = float((predict_proba(spec, network, x_all[val], len(manifest.classes)).argmax(1) == y_all[val]).mean())
    best = max(scores.values())
    alpha = min((a for a, s in scores.items() if s == best), key=lambda a: (abs(a - prefer), a))
    print(f"fold {fold}: inner fold {inner_val} " + "  ".join(f"α={a:g}: {s:.2%}" for a, s in scores.items()) + f"  -> α = {alpha:g}", flush=True)
    return {"alpha": alpha, "inner_fold": inner_val, "inner_curve": {f"{a:g}": s for a, s in scores.items()}}


if __name__ == "__main__":
    main()
