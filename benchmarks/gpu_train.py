"""The shipped fine-tune recipe's training steps on a GPU vs the CPU of the same machine;
writes benchmarks/results/gpu_train.json.

    python benchmarks/gpu_train.py [--commit SHA] [--out PATH]

Run on a machine with a CUDA GPU (here: a lent GPU machine, the only place one is). The loop is
envsound's own (`train_network`, as `cv --device cuda` runs it: augmentation's random numbers drawn
on the CPU, the augmentation itself and the network on the device) with configs/mn04_finetune.json's settings, on random 5-s
log-mels (128 x 500), batch 32, after warm-up steps. Both devices run in one process on one
machine, so the comparison is like for like. The projection (a 5-fold, 20-epoch ESC-50 fine-tune:
5 x 20 x 50 steps) is arithmetic on the measured rate and leaves out feature extraction and
evaluation.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import torch

from envsound.config import RunConfig
from envsound.devices import use_training_device
from envsound.models.pretrained import PretrainedClassifier
from envsound.training.loop import train_network
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
BATCH = 32
CV_STEPS = 5 * 20 * (1600 // BATCH)  # 5 folds x 20 epochs x 50 steps of the 1600 training clips


def steps_per_second(device: str, steps: int) -> float:
    use_training_device(device)
    recipe = RunConfig.from_dict(json.loads((REPO / "src" / "envsound" / "configs" / "mn04_finetune.json").read_text())).train
    cfg = replace(recipe, epochs=1, warmup_epochs=0)
    torch.manual_seed(0)
    x = torch.randn(BATCH * (steps + 3), 1, 128, 500)
    y = torch.randint(0, 50, (len(x),))
    model = PretrainedClassifier(50, pretrained=False)
    train_network(model, x[: 3 * BATCH], y[: 3 * BATCH], cfg, 50)  # warm-up: allocations, cuDNN's choices
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    train_network(model, x[3 * BATCH :], y[3 * BATCH :], cfg, 50)  # ends with the model back on the CPU
    return steps / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gpu_train.json")
    parser.add_argument("--commit", default=None, help="the commit measured (the GPU machine gets a copy of the tree without git)")
    parser.add_argument("--gpu-steps", type=int, default=60)
    parser.add_argument("--cpu-steps", type=int, default=10)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: this benchmark needs one")
    arms = {}
    for device, steps in (("cuda", args.gpu_steps), ("cpu", args.cpu_steps)):
        rate = steps_per_second(device, steps)
        arms[device] = {"steps": steps, "steps_per_second": rate, "clips_per_second": rate * BATCH,
                        "projected_cv_minutes": CV_STEPS / rate / 60}
        print(device, json.dumps(arms[device]), flush=True)
    result = {
        "name": "gpu_train",
        "gpu": torch.cuda.get_device_name(0),
        "cpu_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "recipe": "configs/mn04_finetune.json (batch 32, mixup 0.3, online augmentation)",
        **arms,
        "projection": f"a 5-fold 20-epoch ESC-50 fine-tune = {CV_STEPS} steps; projected minutes = steps / measured rate (training only)",
        "command": "python benchmarks/gpu_train.py",
        "commit": args.commit,
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(args.out, result)  # temp name, then rename


if __name__ == "__main__":
    main()
