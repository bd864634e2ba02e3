"""Two optimisation steps of a tiny BatchNorm network, run alone or under torchrun (a test helper).

    python tests/training/ddp_step.py OUT.pt [DEVICE [sync [gloo]]]
    python -m torch.distributed.run --nproc-per-node 2 tests/training/ddp_step.py OUT.pt [cuda sync]

DEVICE (default cpu) is the training device; ``sync`` trains BatchNorm statistics with
SyncBatchNorm across ranks instead of freezing them (GPU ranks only). ``gloo`` joins the ranks
over gloo instead of envsound's choice (nccl for GPUs), which lets two ranks share one GPU
(nccl refuses that), so SyncBatchNorm's arithmetic can be checked on a one-GPU machine.
"""

import os
import sys

import torch
import torch.distributed as dist
from torch import nn

from envsound.config import TrainConfig
from envsound.devices import use_training_device
from envsound.training.distributed import current_world, finish, init_from_env
from envsound.training.loop import train_network


class Tiny(nn.Module):
    """Conv, BatchNorm, a head, and a layer the loss never reaches (as a pretrained AudioSet head).

    The conv has no bias, as before any BatchNorm: with batch statistics its gradient is zero in
    exact arithmetic, and Adam would turn the rounding noise left there into full-size steps that
    no two ways of computing the same step could agree on (seen on a GPU: 0.15 apart after 2 steps).
    """

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(4, 3)
        self.unused_head = nn.Linear(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def tiny() -> nn.Module:
    torch.manual_seed(0)
    return Tiny()


if __name__ == "__main__":
    use_training_device(sys.argv[2] if len(sys.argv) > 2 else "cpu")
    torch.backends.cudnn.allow_tf32 = False  # full float32 convolutions, so a GPU step can equal the CPU's
    sync = sys.argv[3:4] == ["sync"]
    if sys.argv[4:] == ["gloo"] and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group("gloo")  # init_from_env below then joins this group as it is
    init_from_env()
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(8, 1, 8, 8, generator=generator)
    y = torch.randint(0, 3, (8,), generator=generator)
    model = tiny()
    cfg = TrainConfig(epochs=2, batch_size=8, lr=0.1, warmup_epochs=0, mixup_alpha=0.0, spec_augment=False, time_roll=False, gain_db=0.0,
                      ema_decay=0.0, freeze_norm_stats=not sync, sync_batchnorm=sync)
    train_network(model, x, y, cfg, 3, units_per_db=None)
    if current_world().is_main:
        torch.save(model.state_dict(), sys.argv[1])
    finish()
