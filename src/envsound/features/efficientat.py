"""EfficientAT's exact front end: 32 kHz, pre-emphasis, STFT 1024/800/320, 128 Kaldi mels, log."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import torch
from torch import nn

from envsound.defaults import DEFAULT_CHECKPOINT
from envsound.features.logmel import NATURAL_LOG_UNITS_PER_DB
from envsound.features.mel import kaldi_filterbank


@dataclass(frozen=True)
class EfficientATFrontEndConfig:
    sample_rate: int = 32000
    n_fft: int = 1024
    win_length: int = 800
    hop_length: int = 320
    n_mels: int = 128
    f_min: float = 0.0
    f_max: float = 15000.0
    preemphasis: float = 0.97
    clip_seconds: float = 5.0

    def to_dict(self) -> dict:
        return {"kind": "efficientat-logmel", **asdict(self)}


@dataclass(frozen=True)
class EfficientATEmbeddingConfig(EfficientATFrontEndConfig):
    """The frozen backbone's embedding: this front end, then checkpoint ``checkpoint``'s ``views``."""

    checkpoint: str = DEFAULT_CHECKPOINT
    views: tuple[str, ...] = ("mean",)

    @property
    def front_end(self) -> EfficientATFrontEndConfig:
        return EfficientATFrontEndConfig(**{f.name: getattr(self, f.name) for f in fields(EfficientATFrontEndConfig)})

    def to_dict(self) -> dict:
        return {**asdict(self), "kind": "efficientat-embedding", "views": list(self.views)}


class EfficientATFrontEnd(nn.Module):
    """Waveform (batch, samples) at 32 kHz -> normalised log-mel (batch, 1, 128, frames)."""

    def __init__(self, config: EfficientATFrontEndConfig = EfficientATFrontEndConfig()) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("window", torch.hann_window(config.win_length, periodic=False), persistent=False)
        fb = kaldi_filterbank(config.sample_rate, config.n_fft, config.n_mels, config.f_min, config.f_max)
        self.register_buffer("filterbank", torch.from_numpy(fb), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        c = self.config
        emphasised = waveform[:, 1:] - c.preemphasis * waveform[:, :-1]
        if torch.onnx.is_in_onnx_export():
            power = self._power_for_onnx(emphasised)
        else:
            spec = torch.stft(emphasised, c.n_fft, hop_length=c.hop_length, win_length=c.win_length, window=self.window, center=True, return_complex=True)
            power = spec.real.square() + spec.imag.square()
        mel = torch.matmul(self.filterbank, power)
        return ((torch.log(mel + 1e-5) + 4.5) / 5.0).unsqueeze(1)


    def _power_for_onnx(self, emphasised: torch.Tensor) -> torch.Tensor:
        """The same power spectrogram in the form ONNX's STFT op (opset 17) takes: the reflect
        padding spelled out, the window zero-padded to n_fft, real and imaginary parts as pairs
        (ONNX has no complex tensors). Only traced during export; numerically the same frames."""
        import warnings

        c = self.config
        side = (c.n_fft - c.win_length) // 2
        window = nn.functional.pad(self.window, (side, c.n_fft - c.win_length - side))
        padded = nn.functional.pad(emphasised.unsqueeze(1), (c.n_fft // 2, c.n_fft // 2), mode="reflect").squeeze(1)
        with warnings.catch_warnings():  # return_complex=False is deprecated for eager use; export needs it
            warnings.simplefilter("ignore", UserWarning)
            pairs = torch.stft(padded, c.n_fft, hop_length=c.hop_length, win_length=c.n_fft, window=window, center=False, return_complex=False)
        return pairs[..., 0].square() + pairs[..., 1].square()


class EfficientATLogMelExtractor:
    """Feature-cache adapter: the backbone's input (for fine-tuning), cached once per dataset."""

    units_per_db = NATURAL_LOG_UNITS_PER_DB / 5.0  # the front end divides the natural log by 5

    def __init__(self, clip_seconds: float | None = None, config: EfficientATFrontEndConfig | None = None) -> None:
        config = config or EfficientATFrontEndConfig()
        if clip_seconds is not None:
            config = replace(config, clip_seconds=clip_seconds)
        self.config = config
        self.clip_seconds = config.clip_seconds
        self.sample_rate = config.sample_rate
        self.module = EfficientATFrontEnd(config)
        frames = (round(config.clip_seconds * config.sample_rate) - 1) // config.hop_length + 1
        self.output_shape = (1, config.n_mels, frames)

    def describe(self) -> dict:
        return self.config.to_dict()

    @torch.inference_mode()
    def __call__(self, waveforms):
        return self.module(torch.from_numpy(waveforms)).numpy()
