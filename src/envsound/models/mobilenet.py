"""EfficientAT's "mn" audio MobileNetV3, written from its description and checkpoint layout.

Module names follow the checkpoint (``features.N.block.K``, ``conc_se_layers``, ``classifier.2/5``)
so upstream state dicts load with ``strict=True``. ``forward`` returns (logits, pooled embedding).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import nn

from envsound.errors import ConfigError


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor`` without dropping more than 10 % (MobileNet rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class BlockSpec(NamedTuple):
    kernel: int
    expanded: int
    out: int
    se: bool
    hardswish: bool
    stride: int


# What a frozen backbone can hand a classifier, per clip (see AudioMobileNet.views).
EMBEDDING_VIEWS = ("mean", "time_max", "hidden", "audioset")


def check_views(names: Sequence[str]) -> None:
    if not names or any(name not in EMBEDDING_VIEWS for name in names):
        raise ConfigError(f"embedding views must be among {', '.join(EMBEDDING_VIEWS)}; got {', '.join(names) or 'none'}")


# MobileNetV3-Large at width 1.0: (kernel, expanded, out, squeeze-excite, hardswish, stride).
LARGE = (
    BlockSpec(3, 16, 16, False, False, 1),
    BlockSpec(3, 64, 24, False, False, 2),
    BlockSpec(3, 72, 24, False, False, 1),
    BlockSpec(5, 72, 40, True, False, 2),
    BlockSpec(5, 120, 40, True, False, 1),
    BlockSpec(5, 120, 40, True, False, 1),
    BlockSpec(3, 240, 80, False, True, 2),
    BlockSpec(3, 200, 80, False, True, 1),
    BlockSpec(3, 184, 80, False, True, 1),
    BlockSpec(3, 184, 80, False, True, 1),
    BlockSpec(3, 480, 112, True, True, 1),
    BlockSpec(3, 672, 112, True, True, 1),
    BlockSpec(5, 672, 160, True, True, 2),
    BlockSpec(5, 960, 160, True, True, 1),
    BlockSpec(5, 960, 160, True, True, 1),
)


def _norm(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=0.001, momentum=0.01)


def conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1, act: type[nn.Module] | None = nn.Hardswish) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False), _norm(c_out)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(channels, squeeze)
        self.fc2 = nn.Linear(squeeze, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.relu(self.fc1(x.mean(dim=(2, 3))))
        scale = torch.sigmoid(self.fc2(scale))
        return x * scale[:, :, None, None]


class ChannelSE(nn.Module):
    """EfficientAT's concurrent SE restricted to the channel axis (one layer; max-aggregated)."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.conc_se_layers = nn.ModuleList([SqueezeExcitation(channels, make_divisible(channels // reduction))])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([layer(x) for layer in self.conc_se_layers]).amax(dim=0)


class InvertedResidual(nn.Module):
    def __init__(self, c_in: int, spec: BlockSpec, expanded: int, c_out: int) -> None:
        super().__init__()
        act = nn.Hardswish if spec.hardswish else nn.ReLU
        layers: list[nn.Module] = []
        if expanded != c_in:
            layers.append(conv_bn(c_in, expanded, 1, act=act))
        layers.append(conv_bn(expanded, expanded, spec.kernel, spec.stride, groups=expanded, act=act))
        if spec.se:
            layers.append(ChannelSE(expanded))
        layers.append(conv_bn(expanded, c_out, 1, act=None))
        self.block = nn.Sequential(*layers)
        self.residual = spec.stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.residual else y


class AudioMobileNet(nn.Module):
    """Input (batch, 1, 128 mels, frames) -> (logits (batch, n_classes), embedding (batch, 6·last))."""

    def __init__(self, width: float = 0.4, n_classes: int = 527, head_hidden: int | None = None, dropout: float = 0.2) -> None:
        super().__init__()
        head_hidden = head_hidden or make_divisible(1280 * width)  # MobileNetV3's last channel, scaled by width
        first = make_divisible(16 * width)
        layers: list[nn.Module] = [conv_bn(1, first, 3, stride=2)]
        c_in = first
        for spec in LARGE:
            c_out = make_divisible(spec.out * width)
            layers.append(InvertedResidual(c_in, spec, make_divisible(spec.expanded * width), c_out))
            c_in = c_out
        self.embedding_dim = 6 * c_in
        layers.append(conv_bn(c_in, self.embedding_dim, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(self.embedding_dim, head_hidden),
            nn.Hardswish(),
            nn.Dropout(dropout),
            nn.Linear(head_hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        head = self._head(self.features(x))
        return head["audioset"], head["mean"]

    def _head(self, maps: torch.Tensor) -> dict[str, torch.Tensor]:
        """The AudioSet head's pooled input, hidden layer and logits (classifier.0-5 of the checkpoint)."""
        mean = self.classifier[1](self.classifier[0](maps))
        hidden = self.classifier[3](self.classifier[2](mean))
        return {"mean": mean, "hidden": hidden, "audioset": self.classifier[5](self.classifier[4](hidden))}

    def view_dim(self, names: Sequence[str]) -> int:
        check_views(names)
        sizes = {"mean": self.embedding_dim, "time_max": self.embedding_dim, "hidden": self.classifier[2].out_features, "audioset": self.classifier[5].out_features}
        return sum(sizes[name] for name in names)

    def views(self, x: torch.Tensor, names: Sequence[str] = ("mean",)) -> torch.Tensor:
        """Concatenated per-clip vectors from several depths, for probes and heads.

        "mean" is the pooled embedding the AudioSet head reads; "time_max" keeps the loudest moment
        of each channel (frequency-averaged, then max over time, as PANNs pool), which a mean over a
        5-s clip dilutes for short events; "hidden" and "audioset" are the AudioSet head's hidden
        layer and logits, which a linear classifier cannot derive from "mean" alone.
        """
        check_views(names)
        maps = self.features(x)
        if "hidden" in names or "audioset" in names:
            found = self._head(maps)
        else:  # no AudioSet head when nothing reads it (the default probe and fine-tuning)
            found = {"mean": self.classifier[1](self.classifier[0](maps))}
        if "time_max" in names:
            found["time_max"] = maps.mean(dim=2).amax(dim=2)
        return torch.cat([found[name] for name in names], dim=1)
