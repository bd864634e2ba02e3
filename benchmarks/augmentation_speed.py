"""What augmentation costs on this CPU: offline copies of all of ESC-50, and online per epoch.

    python benchmarks/augmentation_speed.py

Targets (augmentation issue): 2000 clips x 4 transforms offline in ≤ 5 min; online waveform +
SpecAugment + mixup add ≤ 20 % to an epoch of the compact CNN. The online figure alternates epochs
with and without augmentation (same model, same data, folds 2-5) and compares medians, so a
background load shifts both alike. Writes benchmarks/results/augmentation_speed.json.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from envsound.augment.offline import augment_dataset
from envsound.config import TrainConfig
from envsound.data import load_esc50
from envsound.features import LogMelExtractor, load_or_compute
from envsound.models.cnn import CompactCNN
from envsound.runs import device_name
from envsound.training.loop import train_network
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402

TRANSFORMS = ("noise", "shift", "pitch", "stretch")


def offline_seconds(workers: int) -> tuple[float, int]:
    manifest = load_esc50()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        path = augment_dataset(manifest, out, TRANSFORMS, seed=0, seconds=5.0, workers=workers)
        seconds = time.perf_counter() - started
        copies = sum(1 for _ in Path(out, "audio").glob("*.wav"))
        assert path.exists()
    return seconds, copies


def online_epoch_seconds(rounds: int) -> dict[str, list[float]]:
    manifest = load_esc50()
    features = np.asarray(load_or_compute(manifest, LogMelExtractor(), show_progress=False).features)
    train = np.flatnonzero(manifest.folds != 1)
    x, y = torch.from_numpy(features[train]), torch.from_numpy(manifest.targets[train])
    with_aug = TrainConfig(epochs=1, warmup_epochs=0)
    without = replace(with_aug, time_roll=False, gain_db=0.0, spec_augment=False, mixup_alpha=0.0)
    times: dict[str, list[float]] = {"online": [], "none": []}
    torch.manual_seed(0)
    model = CompactCNN(50)
    for _ in range(rounds):
        for name, cfg in (("online", with_aug), ("none", without)):
            times[name].append(train_network(model, x, y, cfg, 50).epoch_seconds[0])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="Epoch pairs (with, without) for the online figure")
    args = parser.parse_args()
    offline, copies = offline_seconds(args.workers)
    epochs = online_epoch_seconds(args.rounds)
    online, plain = statistics.median(epochs["online"]), statistics.median(epochs["none"])
    result = {
        "name": "augmentation_speed",
        "offline_seconds": offline,
        "offline_copies": copies,
        "offline_transforms": list(TRANSFORMS),
        "offline_workers": args.workers,
        "epoch_seconds_online": epochs["online"],
        "epoch_seconds_none": epochs["none"],
        "online_overhead": online / plain - 1.0,
        "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    out = REPO / "benchmarks" / "results" / "augmentation_speed.json"
    write_json(out, result)
    print(f"offline: {copies} copies in {offline:.0f} s; online overhead {result['online_overhead']:+.1%} per epoch → {out}")


if __name__ == "__main__":
    main()
