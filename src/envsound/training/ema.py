"""Averages of a network's weights: the exponential moving average over training (evaluated and
saved), and the interpolation of the end of training with its start (WiSE-FT)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """EMA of every floating-point parameter and buffer (BatchNorm statistics included).

    On 1600 training clips the last step's accuracy swings by 1-2 % between epochs; the average of
    the final epochs' weights is steadier and usually better. The decay warms up as timm's does,
    min(decay, (1 + n) / (10 + n)), so a run of a few steps does not evaluate near-initial weights.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for averaged, current in zip(self.module.state_dict().values(), model.state_dict().values()):
            if averaged.dtype.is_floating_point:
                averaged.lerp_(current, 1.0 - decay)
            else:  # e.g. BatchNorm's num_batches_tracked
                averaged.copy_(current)

    def state_dict(self) -> dict:
        return {"module": self.module.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state["module"])
        self.updates = state["updates"]


def interpolate_weights(start: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """(1 − α)·start + α·tuned for every floating-point tensor; integer counters are the tuned ones.

    WiSE-FT (Wortsman et al. 2022): one network between a fine-tune and the weights it started
    from. It needs a start the fine-tune stayed near, which LP-FT (``head_init="probe"``) gives.
    """
    return {k: torch.lerp(start[k].to(v.device), v, alpha) if v.is_floating_point() else v.clone() for k, v in tuned.items()}
