"""An ensemble of finished cross-validation runs, scored on the same test folds.

Each fold's test predictions are the mean of the members' probabilities for that fold. Nothing is
trained or tuned here (equal weights), so the ensemble is exactly as leak-free as its members: every
member only ever trained on the other folds. The result is an ordinary run folder, so `envsound
report` and `envsound compare` work on it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from envsound.errors import RunError
from envsound.runs import RunFolder, environment, summarize


def ensemble_runs(run_dirs: list[str | Path], out_dir: str | Path, command: str | None = None) -> dict[str, Any]:
    """Write ``out_dir`` as a finished run whose predictions average ``run_dirs``'; returns its metrics."""
    members = [Path(r) for r in run_dirs]
    if len(members) < 2:
        raise RunError("an ensemble needs at least two runs")
    twice = [str(run) for k, run in enumerate(members) if run.resolve() in {m.resolve() for m in members[:k]}]
    if twice:  # it would be weighed double and still look like an ensemble of different runs
        raise RunError(f"{twice[0]}: listed twice; an ensemble averages different runs")
    folders = [RunFolder(run) for run in members]
    for folder in folders:
        folder.require_finished()
    configs = [folder.read_config() for folder in folders]
    folds = folders[0].read_metrics()["folds"]
    classes = configs[0]["dataset"]["classes"]
    for run, folder, config in zip(members[1:], folders[1:], configs[1:]):
        if sorted(config["dataset"]["classes"]) != sorted(classes) or folder.read_metrics()["folds"] != folds:
            raise RunError(f"{run}: other classes or folds than {members[0]}; an ensemble needs runs on one dataset")
    # the same classes in another order (a CSV manifest lists them alphabetically): columns follow the first run's
    orders = [[c["dataset"]["classes"].index(name) for name in classes] for c in configs]
    saved = {fold: [folder.read_fold_predictions(fold) for folder in folders] for fold in folds}
    for per_run in saved.values():
        for member, order in zip(per_run, orders):
            member["probs"] = member["probs"][:, order]
    for fold, per_run in saved.items():  # check everything before writing anything
        for run, other in zip(members[1:], per_run[1:]):
            if not np.array_equal(other["clip"], per_run[0]["clip"]):
                raise RunError(f"{run}: fold {fold} tests other clips than {members[0]}")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise RunError(f"{out_dir}: already exists; choose another output folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = RunFolder(out_dir)
    names = [c["model"]["name"] for c in configs]
    out.write_config(
        {
            "run": {key: configs[0]["run"].get(key) for key in ("dataset", "data_root", "folds", "n_folds")},
            "seed": None,
            "command": command,
            "working_directory": configs[0].get("working_directory"),  # where the members' relative dataset paths lead
            "model": {
                "name": "+".join(names),
                "method": "ensemble",
                "pretrained": any(c["model"].get("pretrained", False) for c in configs),
                "description": "mean of the members' predicted probabilities, equal weights",
            },
            "dataset": configs[0]["dataset"],
            "members": [{"run_dir": str(run), "model": name, "command": c.get("command")} for run, name, c in zip(members, names, configs)],
            "environment": environment(),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    )
    for fold, per_run in saved.items():
        first = per_run[0]
        probs = np.mean([s["probs"] for s in per_run], axis=0)
        # The ensemble costs what its members cost to train; averaging takes no measurable time.
        seconds = sum(folder.read_result(fold)["seconds"] for folder in folders)
        accuracy = float((probs.argmax(1) == first["target"]).mean())
        out.write_fold(fold, first["index"], first["clip"], first["target"], probs, {},
                       {"fold": fold, "accuracy": accuracy, "n_test": len(probs), "seconds": seconds, "members": [str(r) for r in members]})
    metrics = summarize(out_dir, folds)
    out.write_metrics(metrics)
    return metrics
