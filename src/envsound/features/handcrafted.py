"""The study's 110 hand-crafted features, vectorised over a batch of clips.

55 per frame — spectral centroid, roll-off (85 %), bandwidth, zero-crossing rate, MFCC 1-12,
chroma (12), MFCC deltas and delta-deltas, RMS with its delta and delta-delta — summarised by
mean and std over the frames that are not inside a run of silence. Numerically these follow
librosa's defaults (the reference in the parity tests) with two stated differences: chroma uses
tuning 0 (no pitch-tuning estimate: environmental sounds have no tuning), and the log-mel under
the MFCCs is clipped 80 dB below each clip's own peak, as librosa does per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from envsound.features.grid import FrameGrid
from envsound.features.mel import slaney_filterbank

FRAME_FEATURES = (
    ["spectral_centroid", "spectral_rolloff", "spectral_bandwidth", "zero_crossing_rate"]
    + [f"mfcc_{i}" for i in range(1, 13)]
    + [f"chroma_{i}" for i in range(12)]
    + [f"mfcc_delta_{i}" for i in range(1, 13)]
    + [f"mfcc_delta2_{i}" for i in range(1, 13)]
    + ["rms", "rms_delta", "rms_delta2"]
)


@dataclass(frozen=True)
class HandcraftedConfig(FrameGrid):
    kind = "handcrafted"
    sample_rate: int = 16000  # the dataset's own rate (the study used 44.1 kHz)
    n_fft: int = 2048
    hop_length: int = 512
    rolloff: float = 0.85
    delta_width: int = 9
    silence_db: float = -60.0  # frames with RMS at or below this (dBFS) ...
    silence_seconds: float = 0.25  # ... in runs at least this long are left out of the statistics
    remove_silence: bool = True
    statistics: tuple[str, ...] = ("mean", "std")


def chroma_filterbank(sample_rate: int, n_fft: int, n_chroma: int = 12, octave_centre: float = 5.0, octave_width: float = 2.0) -> np.ndarray:
    """(n_chroma, n_fft//2+1) Gaussian pitch-class bumps (Ellis' chroma), C first, tuning 0."""
    freqs = np.linspace(0, sample_rate, n_fft, endpoint=False)[1:]
    bins = n_chroma * np.log2(freqs / (440.0 / 16))  # octaves above A0 (27.5 Hz), in chroma bins
    bins = np.concatenate(([bins[0] - 1.5 * n_chroma], bins))  # DC: 1.5 octaves below bin 1
    widths = np.concatenate((np.maximum(np.diff(bins), 1.0), [1.0]))
    dist = bins[None, :] - np.arange(n_chroma)[:, None]
    half = np.round(n_chroma / 2)
    dist = np.remainder(dist + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2 * dist / widths[None, :]) ** 2)
    weights /= np.sqrt((weights**2).sum(axis=0, keepdims=True))
    weights *= np.exp(-0.5 * ((bins / n_chroma - octave_centre) / octave_width) ** 2)[None, :]
    weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)  # start at C, not A
    return weights[:, : n_fft // 2 + 1].astype(np.float32)


def dct_matrix(n_mfcc: int, n_mels: int) -> np.ndarray:
    """Orthonormal DCT-II rows (as scipy.fft.dct(norm='ortho')), shape (n_mfcc, n_mels)."""
    k = np.arange(n_mfcc)[:, None]
    n = np.arange(n_mels)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_mels)) * np.sqrt(2.0 / n_mels)
    basis[0] /= np.sqrt(2.0)
    return basis.astype(np.float32)


@lru_cache(maxsize=16)
def savgol_operator(n_frames: int, width: int, order: int) -> np.ndarray:
    """(n_frames, n_frames) matrix D with deltas = x @ D: the ``order``-th derivative of a
    polynomial of degree ``order`` fitted over ``width`` frames, edges fitted on the first/last
    window ('interp'), as librosa.feature.delta."""
    width = min(width, n_frames if n_frames % 2 else n_frames - 1)
    half = width // 2
    if width < order + 1:
        return np.zeros((n_frames, n_frames), dtype=np.float32)
    positions = np.arange(-half, half + 1, dtype=np.float64)
    vander = np.vander(positions, order + 1, increasing=True)  # (width, order+1)
    fit = np.linalg.pinv(vander)  # coefficients = fit @ window values
    op = np.zeros((n_frames, n_frames))
    for t in range(n_frames):
        centre = min(max(t, half), n_frames - 1 - half)  # edge frames use the edge window
        offset = t - centre
        # d^order/dx^order of sum_j c_j x^j at x = offset
        powers = np.array([np.prod(np.arange(j - order + 1, j + 1)) * offset ** (j - order) if j >= order else 0.0 for j in range(order + 1)])
        weights = powers @ fit  # (width,)
        op[centre - half : centre + half + 1, t] = weights
    return op.astype(np.float32)


def silence_mask(rms: torch.Tensor, cfg: HandcraftedConfig) -> torch.Tensor:
    """True for frames to keep: not inside a run of ≥ silence_seconds frames at or below silence_db.

    Clips that are silent throughout keep every frame, so their statistics stay finite.
    """
    quiet = 20 * torch.log10(rms.clamp_min(1e-10)) <= cfg.silence_db  # (batch, frames)
    min_run = max(1, round(cfg.silence_seconds * cfg.sample_rate / cfg.hop_length))
    keep = torch.ones_like(quiet)
    q = quiet.numpy()
    k = keep.numpy()
    for b in range(q.shape[0]):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], q[b].astype(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2]):
            if stop - start >= min_run:
                k[b, start:stop] = False
        if not k[b].any():
            k[b] = True
    return torch.from_numpy(k)


class HandcraftedExtractor:
    """Feature-cache adapter: waveforms -> (batch, 55 × len(statistics)) float32."""

    def __init__(self, config: HandcraftedConfig = HandcraftedConfig()) -> None:
        self.config = c = config
        self.sample_rate, self.clip_seconds = c.sample_rate, c.clip_seconds
        self.output_shape = (len(FRAME_FEATURES) * len(c.statistics),)
        self.window = torch.hann_window(c.n_fft)
        self.freqs = torch.linspace(0, c.sample_rate / 2, c.n_fft // 2 + 1)
        self.mel = torch.from_numpy(slaney_filterbank(c.sample_rate, c.n_fft, c.n_mels))
        self.chroma = torch.from_numpy(chroma_filterbank(c.sample_rate, c.n_fft))
        self.dct = torch.from_numpy(dct_matrix(13, c.n_mels))

    def describe(self) -> dict:
        return self.config.to_dict()

    @property
    def feature_names(self) -> list[str]:
        return [f"{name}_{stat}" for stat in self.config.statistics for name in FRAME_FEATURES]

    @torch.inference_mode()
    def frames(self, waveforms: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, 55, frames) per-frame features and the (batch, frames) keep-mask."""
        c = self.config
        y = torch.from_numpy(np.ascontiguousarray(waveforms, dtype=np.float32))
        spec = torch.stft(y, c.n_fft, c.hop_length, window=self.window, center=True, pad_mode="constant", return_complex=True)
        mag = spec.abs()  # (batch, bins, frames)
        power = mag.square()
        total = mag.sum(dim=1, keepdim=True).clamp_min(1e-10)
        centroid = (self.freqs[None, :, None] * mag).sum(dim=1, keepdim=True) / total
        bandwidth = (((self.freqs[None, :, None] - centroid) ** 2) * (mag / total)).sum(dim=1, keepdim=True).sqrt()
        cumulative = mag.cumsum(dim=1)
        reached = cumulative >= c.rolloff * cumulative[:, -1:, :]
        rolloff = self.freqs[reached.float().argmax(dim=1)].unsqueeze(1)
        half = c.n_fft // 2
        edge = torch.nn.functional.pad(y[:, None, :], (half, half), mode="replicate")[:, 0]
        framed = edge.unfold(-1, c.n_fft, c.hop_length)  # (batch, frames, n_fft)
        signs = torch.signbit(torch.where(framed.abs() <= 1e-10, torch.zeros_like(framed), framed))
        zcr = (signs[..., 1:] != signs[..., :-1]).float().sum(-1).div(c.n_fft).unsqueeze(1)
        zero_padded = torch.nn.functional.pad(y, (half, half)).unfold(-1, c.n_fft, c.hop_length)
        rms = zero_padded.square().mean(-1).sqrt()  # (batch, frames)
        mel_db = 10 * torch.log10(torch.matmul(self.mel, power).clamp_min(1e-10))
        mel_db = torch.maximum(mel_db, mel_db.amax(dim=(1, 2), keepdim=True) - 80.0)
        mfcc = torch.matmul(self.dct, mel_db)[:, 1:]  # drop the 0th (loudness) coefficient
        raw_chroma = torch.matmul(self.chroma, power)
        peak = raw_chroma.amax(dim=1, keepdim=True)
        chroma = torch.where(peak > torch.finfo(torch.float32).tiny, raw_chroma / peak, raw_chroma)
        n = mfcc.shape[-1]
        d1 = torch.from_numpy(savgol_operator(n, c.delta_width, 1))
        d2 = torch.from_numpy(savgol_operator(n, c.delta_width, 2))
        rms_row = rms.unsqueeze(1)
        per_frame = torch.cat([centroid, rolloff, bandwidth, zcr, mfcc, chroma, mfcc @ d1, mfcc @ d2, rms_row, rms_row @ d1, rms_row @ d2], dim=1)
        keep = silence_mask(rms, c) if c.remove_silence else torch.ones_like(rms, dtype=torch.bool)
        return per_frame, keep

    def __call__(self, waveforms: np.ndarray) -> np.ndarray:
        per_frame, keep = self.frames(waveforms)
        weights = keep.float().unsqueeze(1)
        count = weights.sum(-1)
        mean = (per_frame * weights).sum(-1) / count
        stats = {"mean": mean}
        if "std" in self.config.statistics:
            stats["std"] = (((per_frame - mean.unsqueeze(-1)) ** 2 * weights).sum(-1) / count).sqrt()
        if "median" in self.config.statistics:
            masked = torch.where(keep.unsqueeze(1), per_frame, torch.tensor(float("nan")))
            stats["median"] = masked.nanmedian(dim=-1).values
        out = torch.cat([stats[s] for s in self.config.statistics], dim=1).numpy()
        if not np.isfinite(out).all():  # never let NaN reach a model silently
            raise ValueError("hand-crafted features produced non-finite values")
        return out
