"""NumPy twins of the torch front ends, so an ONNX model runs with no torch installed."""

from __future__ import annotations

import numpy as np

from envsound.features.mel import kaldi_filterbank, slaney_filterbank


def power_spectrogram(signal: np.ndarray, n_fft: int, hop: int, window: np.ndarray, pad_mode: str) -> np.ndarray:
    """Centred STFT power, (batch, n_fft//2+1, frames), matching torch.stft(center=True)."""
    padded = np.pad(signal, [(0, 0), (n_fft // 2, n_fft // 2)], mode=pad_mode)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft, axis=-1)[:, ::hop]
    spectrum = np.fft.rfft(frames * window, axis=-1)  # float32 in, complex64 out (NumPy ≥ 2)
    return (spectrum.real**2 + spectrum.imag**2).transpose(0, 2, 1)


class NumpyLogMel:
    """Twin of envsound.features.logmel.LogMel (Slaney mels, zero padding, natural log)."""

    def __init__(self, sample_rate: int, clip_seconds: float, n_fft: int, hop_length: int, n_mels: int, f_min: float, f_max: float | None, log_offset: float, **_: object) -> None:
        self.sample_rate, self.clip_seconds = sample_rate, clip_seconds
        self.n_fft, self.hop, self.log_offset = n_fft, hop_length, log_offset
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)  # periodic Hann
        self.filterbank = slaney_filterbank(sample_rate, n_fft, n_mels, f_min, f_max)

    def __call__(self, waveforms: np.ndarray) -> np.ndarray:
        power = power_spectrogram(waveforms.astype(np.float32), self.n_fft, self.hop, self.window, "constant")
        return np.log(self.filterbank @ power + self.log_offset)[:, None].astype(np.float32)


class NumpyEfficientATFrontEnd:
    """Twin of envsound.features.efficientat.EfficientATFrontEnd."""

    def __init__(self, clip_seconds: float, sample_rate: int, n_fft: int, win_length: int, hop_length: int, n_mels: int, f_min: float, f_max: float, preemphasis: float, **_: object) -> None:
        self.sample_rate, self.clip_seconds = sample_rate, clip_seconds
        self.n_fft, self.hop, self.preemphasis = n_fft, hop_length, preemphasis
        window = np.zeros(n_fft)
        start = (n_fft - win_length) // 2
        window[start : start + win_length] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win_length) / (win_length - 1))  # symmetric
        self.window = window.astype(np.float32)
        self.filterbank = kaldi_filterbank(sample_rate, n_fft, n_mels, f_min, f_max)

    def __call__(self, waveforms: np.ndarray) -> np.ndarray:
        x = waveforms.astype(np.float32)
        emphasised = x[:, 1:] - self.preemphasis * x[:, :-1]
        power = power_spectrogram(emphasised, self.n_fft, self.hop, self.window, "reflect")
        return ((np.log(self.filterbank @ power + 1e-5) + 4.5) / 5.0)[:, None].astype(np.float32)


def numpy_front_end(description: dict):
    """Build the NumPy twin from an extractor's ``describe()`` dict."""
    kind = description.get("kind")
    if kind == "logmel":
        return NumpyLogMel(**description)
    if kind == "efficientat-logmel":
        return NumpyEfficientATFrontEnd(**description)
    raise ValueError(f"no NumPy front end for features of kind '{kind}'")
