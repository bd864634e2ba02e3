"""Training steps per second of the mn04 fine-tune, one process or torchrun ranks (scale_out.py runs it).

    python benchmarks/ddp_steps.py --threads 2 OUT.json
    OMP_NUM_THREADS=1 python -m torch.distributed.run --nproc-per-node 2 benchmarks/ddp_steps.py --threads 1 OUT.json

The loop is envsound's own (`train_network`), on random 5-s log-mels, global batch 32, 12 steps
after 2 warm-up steps; rank 0 writes the rate.
"""

import argparse
import json
import time

import torch

from envsound.config import TrainConfig
from envsound.models.pretrained import PretrainedClassifier
from envsound.training.distributed import current_world, finish, init_from_env
from envsound.training.loop import train_network

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    init_from_env()
    torch.manual_seed(0)
    batch = 32
    x = torch.randn(batch * (args.steps + 2), 1, 128, 500)
    y = torch.randint(0, 50, (len(x),))
    cfg = TrainConfig(model="mn04_finetune", epochs=1, batch_size=batch, lr=1e-4, warmup_epochs=0, threads=args.threads)
    model = PretrainedClassifier(50, pretrained=False)
    train_network(model, x[: 2 * batch], y[: 2 * batch], cfg, 50)  # warm-up: first-call allocations
    started = time.perf_counter()
    train_network(model, x[2 * batch :], y[2 * batch :], cfg, 50)
    seconds = time.perf_counter() - started
    world = current_world()
    if world.is_main:
        with open(args.out, "w") as handle:
            json.dump({"ranks": world.size, "threads_per_rank": args.threads, "steps": args.steps, "global_batch": batch,
                       "steps_per_second": args.steps / seconds}, handle)
    finish()
