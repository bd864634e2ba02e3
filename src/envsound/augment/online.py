"""Batch-time augmentation on cached log-mels: cheap enough to run every step.

All functions take a generator so a run is reproducible from its seed. The random parameters (a
few numbers per example) are drawn on the CPU from that generator and the arithmetic runs where
the batch lives, so a batch already on a GPU is augmented there, with the same draws as on the CPU.
"""

from __future__ import annotations

import torch

from envsound.features.logmel import NATURAL_LOG_UNITS_PER_DB


def time_roll(x: torch.Tensor, generator: torch.Generator, max_fraction: float = 0.5) -> torch.Tensor:
    """Circularly shift each example along time (the study's time shift, without re-decoding)."""
    frames = x.shape[-1]
    shifts = torch.randint(-int(frames * max_fraction), int(frames * max_fraction) + 1, (x.shape[0],), generator=generator).to(x.device)
    index = (torch.arange(frames, device=x.device)[None, :] - shifts[:, None]) % frames
    return torch.gather(x, -1, index[:, None, None, :].expand_as(x))


def random_gain(x: torch.Tensor, generator: torch.Generator, max_db: float = 6.0, units_per_db: float = NATURAL_LOG_UNITS_PER_DB) -> torch.Tensor:
    """A gain of ±max_db is an additive offset on a log-power spectrogram.

    ``units_per_db`` is how far one dB moves a feature value: ln(10)/10 for a natural-log power
    spectrogram; a front end that rescales its log (EfficientAT divides by 5) declares its own.
    """
    db = (torch.rand(x.shape[0], generator=generator) * 2 - 1) * max_db
    return x + (db * units_per_db).to(x.device, x.dtype)[:, None, None, None]


def spec_augment(x: torch.Tensor, generator: torch.Generator, freq_masks: int = 2, freq_width: int = 8, time_masks: int = 2, time_width: int = 25) -> torch.Tensor:
    """SpecAugment: zero-mean-fill random frequency bands and time spans, per example."""
    x = x.clone()
    batch, _, n_mels, frames = x.shape
    fill = x.mean(dim=(2, 3), keepdim=True)
    for axis, count, width, size in ((2, freq_masks, freq_width, n_mels), (3, time_masks, time_width, frames)):
        for _ in range(count):
            w = torch.randint(0, width + 1, (batch,), generator=generator)
            start = (torch.rand(batch, generator=generator) * (size - w)).long().to(x.device)
            w = w.to(x.device)
            pos = torch.arange(size, device=x.device)[None, :]
            mask = (pos >= start[:, None]) & (pos < (start + w)[:, None])
            shape = (batch, 1, size, 1) if axis == 2 else (batch, 1, 1, size)
            x = torch.where(mask.view(shape), fill, x)
    return x


def mixup(x: torch.Tensor, y: torch.Tensor, n_classes: int, generator: torch.Generator, alpha: float = 0.3,
          targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mix pairs of examples and their targets (one-hot of ``y``, or soft ``targets`` such as a
    teacher's) with a Beta(alpha, alpha) weight."""
    if targets is None:
        targets = torch.nn.functional.one_hot(y, n_classes).float()
    lam = torch.distributions.Beta(alpha, alpha).sample((x.shape[0],))
    lam = torch.maximum(lam, 1 - lam).to(x.device, x.dtype)  # keep the first example dominant, so 'train accuracy' stays meaningful
    perm = torch.randperm(x.shape[0], generator=generator).to(x.device)
    weight = lam.view(-1, *([1] * (x.ndim - 1)))
    mixed_x = weight * x + (1 - weight) * x[perm]
    mixed_y = lam[:, None] * targets + (1 - lam[:, None]) * targets[perm]
    return mixed_x, mixed_y


def study_image_augment(x: torch.Tensor, generator: torch.Generator, brightness: float = 0.2, contrast: float = 0.2, noise: float = 0.05) -> torch.Tensor:
    """The study's spectrogram-as-image augmentation, done correctly: per-example random
    brightness (additive), contrast (scale about the mean), non-zero Gaussian noise that differs
    per example, and a left-right (time) flip with probability 0.5."""
    batch = x.shape[0]
    shape = (batch,) + (1,) * (x.ndim - 1)
    scale = x.std(dim=tuple(range(1, x.ndim)), keepdim=True).clamp_min(1e-6)
    mean = x.mean(dim=tuple(range(1, x.ndim)), keepdim=True)
    shift = (torch.rand(shape, generator=generator) * 2 - 1).to(x.device) * brightness * scale
    factor = 1 + (torch.rand(shape, generator=generator) * 2 - 1).to(x.device) * contrast
    out = (x - mean) * factor + mean + shift
    out = out + torch.randn(x.shape, generator=generator).to(x.device) * noise * scale
    flip = (torch.rand(batch, generator=generator) < 0.5).to(x.device)
    return torch.where(flip.view(shape), out.flip(-1), out)
