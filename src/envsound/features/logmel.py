"""Log-mel spectrograms in torch: batched, fast on CPU, and the input of every envsound CNN."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from envsound.features.grid import FrameGrid
from envsound.features.mel import slaney_filterbank

NATURAL_LOG_UNITS_PER_DB = math.log(10.0) / 10.0  # a gain of g dB shifts ln(power) by g·ln(10)/10


@dataclass(frozen=True)
class LogMelConfig(FrameGrid):
    """The scratch CNNs' front end: 16 kHz and 64 mels (the study's ESC-50 setting); networks
    trained from scratch learn on any grid, so every field may be changed in a config."""

    kind = "logmel"
    sample_rate: int = 16000
    n_mels: int = 64
    f_min: float = 0.0
    f_max: float | None = None
    log_offset: float = 1e-6


class LogMel(nn.Module):
    """Waveform (batch, samples) -> log-mel (batch, 1, n_mels, frames); power STFT, Slaney mels."""

    def __init__(self, config: LogMelConfig = LogMelConfig()) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)
        fb = slaney_filterbank(config.sample_rate, config.n_fft, config.n_mels, config.f_min, config.f_max)
        self.register_buffer("filterbank", torch.from_numpy(fb), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(
            waveform,
            n_fft=self.config.n_fft,
            hop_length=self.config.hop_length,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        power = spec.real.square() + spec.imag.square()
        mel = torch.matmul(self.filterbank, power)
        return torch.log(mel + self.config.log_offset).unsqueeze(1)


class LogMelExtractor:
    """Feature-cache adapter: numpy waveforms in, float32 log-mels out."""

    units_per_db = NATURAL_LOG_UNITS_PER_DB

    def __init__(self, config: LogMelConfig = LogMelConfig()) -> None:
        self.config = config
        self.module = LogMel(config)
        self.sample_rate, self.clip_seconds = config.sample_rate, config.clip_seconds
        self.output_shape: tuple[int, ...] = (1, config.n_mels, config.n_frames)

    def describe(self) -> dict:
        return self.config.to_dict()

    @torch.inference_mode()
    def __call__(self, waveforms: np.ndarray) -> np.ndarray:
        return self.module(torch.from_numpy(waveforms)).numpy()
