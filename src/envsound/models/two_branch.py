"""The study's best idea: hand-crafted features and a log-mel CNN, fused before the classifier."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from envsound.augment import online
from envsound.features.handcrafted import HandcraftedExtractor
from envsound.features.logmel import LogMelExtractor
from envsound.models.cnn import CompactCNN


class TwoBranchExtractor:
    """One cached row per clip: [hand-crafted vector | flattened log-mel]."""

    def __init__(self, logmel: LogMelExtractor, handcrafted: HandcraftedExtractor) -> None:
        self.logmel, self.handcrafted = logmel, handcrafted
        self.sample_rate, self.clip_seconds = logmel.sample_rate, logmel.clip_seconds
        self.n_features = handcrafted.output_shape[0]
        self.mel_shape = logmel.output_shape
        self.output_shape = (self.n_features + int(np.prod(self.mel_shape)),)

    def describe(self) -> dict:
        return {"kind": "two-branch", "logmel": self.logmel.describe(), "handcrafted": self.handcrafted.describe()}

    def __call__(self, waveforms: np.ndarray) -> np.ndarray:
        mel = self.logmel(waveforms).reshape(len(waveforms), -1)
        return np.concatenate([self.handcrafted(waveforms), mel], axis=1)


class TwoBranchNet(nn.Module):
    """Feature branch (BN -> Linear -> ReLU) ‖ compact-CNN branch (pooled embedding) -> classifier.

    Its input is one flat row per clip, so the training loop cannot see the spectrogram in it:
    ``augment_batch`` tells the loop how to augment that part (time roll and SpecAugment), with the
    loop's own seeded generator, and ``forward`` stays a pure function of its input.
    """

    def __init__(self, n_classes: int, n_features: int, mel_shape: tuple[int, int, int], width: int = 32, hidden: int = 256, dropout: float = 0.3) -> None:
        super().__init__()
        self.n_features, self.mel_shape = n_features, tuple(mel_shape)
        self.features = nn.Sequential(nn.BatchNorm1d(n_features), nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.cnn = CompactCNN(n_classes, n_mels=mel_shape[1], width=width)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden + width * 8, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        vector = x[:, : self.n_features]
        mel = x[:, self.n_features :].reshape(-1, *self.mel_shape)
        return self.head(torch.cat([self.features(vector), self.cnn.embed(mel)], dim=1))

    def augment_batch(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Time roll and SpecAugment on the log-mel part of each row; the feature part untouched."""
        mel = x[:, self.n_features :].reshape(-1, *self.mel_shape)
        mel = online.spec_augment(online.time_roll(mel, generator), generator)
        return torch.cat([x[:, : self.n_features], mel.reshape(len(x), -1)], dim=1)
