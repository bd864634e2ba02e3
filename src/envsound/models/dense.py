"""The study's dense network on hand-crafted feature vectors, as a plain nn.Module."""

from __future__ import annotations

import torch
from torch import nn


class DenseNet(nn.Module):
    """Input standardisation (BatchNorm) -> [Linear -> BatchNorm -> ReLU -> Dropout] x len(hidden) -> classes."""

    def __init__(self, n_features: int, n_classes: int, hidden: tuple[int, ...] = (512, 256), dropout: float = 0.4) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.BatchNorm1d(n_features)]
        width = n_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
