"""EfficientAT's exact front end: 32 kHz, pre-emphasis, STFT 1024/800/320, 128 Kaldi mels, log."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import torch
from torch import nn

from envsound.defaults import DEFAULT_CHECKPOINT
from envsound.features.grid import FrameGrid
from envsound.features.logmel import NATURAL_LOG_UNITS_PER_DB
from envsound.features.mel import kaldi_filterbank


@dataclass(frozen=True)
class EfficientATFrontEndConfig(FrameGrid):
    """The front end the EfficientAT checkpoints were trained on: a pretrained backbone expects
    these values (a model file records the ones its network was trained with)."""

    kind = "efficientat-logmel"
    win_length: int = 800
    f_min: float = 0.0
    f_max: float = 15000.0
    preemphasis: float = 0.97


@dataclass(frozen=True)
class EfficientATEmbeddingConfig(EfficientATFrontEndConfig):
    """The frozen backbone's embedding: this front end, then checkpoint ``checkpoint``'s ``views``."""

    kind = "efficientat-embedding"
    checkpoint: str = DEFAULT_CHECKPOINT
    views: tuple[str, ...] = ("mean",)

    @property
    def front_end(self) -> EfficientATFrontEndConfig:
        return EfficientATFrontEndConfig(**{f.name: getattr(self, f.name) for f in fields(EfficientATFrontEndConfig)})

    def to_dict(self) -> dict:
        return {**super().to_dict(), "views": list(self.views)}


class EfficientATFrontEnd(nn.Module):
    """Waveform (batch, samples) at 32 kHz -> normalised log-mel (batch, 1, 128, frames)."""

    def __init__(self, config: EfficientATFrontEndConfig = EfficientATFrontEndConfig()) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("window", torch.hann_window(config.win_length, periodic=False), persistent=False)
        fb = kaldi_filterbank(config.sample_rate, config.n_fft, config.n_mels, config.f_min, config.f_max)
        self.register_buffer("filterbank", torch.from_numpy(fb), persistent=False)
        self.dft_root = math.isqrt(config.n_fft)  # EfficientAT's 1024 = 32 x 32: the exported DFT's factors

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
        """The same power spectrogram in operators onnxruntime runs fast: the reflect padding
        spelled out, frames cut from hop-sized blocks (slices and a concat, any length), the window
        zero-padded to n_fft, and the DFT factored as n_fft = R x R (Cooley-Tukey: an R-point DFT,
        twiddles, another R-point DFT), each stage one matrix product: with onnxruntime's own STFT op
        the exported model took 11.2 ms per clip end to end on this CPU, with this 5.2 ms
        (`onnx_ms_per_clip` of `python benchmarks/inference.py`, commits 8c788c7 and 1fc8e0a). Only traced during
        export (ONNX has no complex tensors, so real and imaginary parts travel as pairs)."""
        c = self.config
        side = (c.n_fft - c.win_length) // 2
        window = nn.functional.pad(self.window, (side, c.n_fft - c.win_length - side))
        padded = nn.functional.pad(emphasised.unsqueeze(1), (c.n_fft // 2, c.n_fft // 2), mode="reflect").squeeze(1)
        batch, length = padded.shape
        n_frames = (length - c.n_fft) // c.hop_length + 1
        whole, rest = divmod(c.n_fft, c.hop_length)  # a frame: `whole` blocks, then `rest` samples of the next
        padded = nn.functional.pad(padded, (0, (n_frames + whole) * c.hop_length - length))
        blocks = padded.reshape(batch, -1, c.hop_length)
        parts = [blocks[:, i : i + n_frames] for i in range(whole)] + ([blocks[:, whole : whole + n_frames, :rest]] if rest else [])
        frames = torch.cat(parts, dim=2) * window  # (batch, frames, n_fft)
        if self.dft_root**2 != c.n_fft:  # not a square: a plain DFT matrix (slower, still exact)
            k = torch.arange(c.n_fft, dtype=torch.float64)
            angle = 2 * math.pi * k[:, None] * k[None, : c.n_fft // 2 + 1] / c.n_fft
            flat = frames.reshape(-1, c.n_fft)
            real, imag = flat @ torch.cos(angle).float(), -(flat @ torch.sin(angle).float())
        else:
            real, imag = _factored_dft(frames.reshape(-1, c.n_fft), self.dft_root)
        power = (real.square() + imag.square())[:, : c.n_fft // 2 + 1]
        return power.reshape(batch, n_frames, -1).transpose(1, 2)


def _factored_dft(frames: torch.Tensor, root: int) -> tuple[torch.Tensor, torch.Tensor]:
    """DFT of real rows of length root**2, as (real, imaginary), in natural frequency order.
    With n = root*n1 + n2 and k = k1 + root*k2: an root-point DFT over n1, twiddles
    exp(-2 pi i n2 k1 / N), then an root-point DFT over n2."""
    size = root * root
    k = torch.arange(root, dtype=torch.float64)
    angle = 2 * math.pi * k[:, None] * k[None, :]
    cos, sin = torch.cos(angle / root).float(), torch.sin(angle / root).float()
    twiddle_cos, twiddle_sin = torch.cos(angle / size).float(), torch.sin(angle / size).float()  # [n2, k1]
    x = frames.reshape(-1, root, root).transpose(1, 2).reshape(-1, root)  # rows (frame, n2), columns n1
    a_real, a_imag = (x @ cos).reshape(-1, root, root), -(x @ sin).reshape(-1, root, root)  # [frame, n2, k1]
    b_real = (a_real * twiddle_cos + a_imag * twiddle_sin).transpose(1, 2).reshape(-1, root)  # rows (frame, k1), columns n2
    b_imag = (a_imag * twiddle_cos - a_real * twiddle_sin).transpose(1, 2).reshape(-1, root)
    real, imag = b_real @ cos + b_imag @ sin, b_imag @ cos - b_real @ sin  # [frame * k1, k2]
    order = (frames.shape[0], size)  # k = k1 + root * k2: k2 is the slow index
    return real.reshape(-1, root, root).transpose(1, 2).reshape(order), imag.reshape(-1, root, root).transpose(1, 2).reshape(order)


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
