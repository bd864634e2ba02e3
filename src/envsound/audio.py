"""The one place that decodes and resamples audio.

Everything else asks for ``load_audio(path, sample_rate, seconds)`` and gets a mono float32
array at the requested rate, so a model never sees a file's native rate or channel layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from envsound.errors import AudioError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au", ".opus")


def load_audio(path: str | Path, sample_rate: int, seconds: float | None = None) -> np.ndarray:
    """Decode ``path`` to mono float32 at ``sample_rate``; pad/crop to ``seconds`` if given."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: file not found")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    try:
        data, native_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise AudioError(f"{path}: not a readable audio file ({_short(err)})") from None
    if data.shape[0] == 0:
        raise AudioError(f"{path}: contains no audio samples")
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"{path}: contains NaN or infinite samples")
    mono = resample(mono, native_rate, sample_rate)
    if seconds is not None:
        mono = fix_length(mono, round(seconds * sample_rate))
    return np.ascontiguousarray(mono, dtype=np.float32)


def audio_info(path: str | Path) -> tuple[int, int, float]:
    """(sample_rate, channels, duration in seconds) without decoding the samples."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(f"{path}: not a readable audio file ({_short(err)})") from None
    return info.samplerate, info.channels, info.frames / info.samplerate


def resample(signal: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """High-quality resampling with soxr; a no-op when the rates already match."""
    if from_rate == to_rate:
        return signal.astype(np.float32, copy=False)
    return soxr.resample(signal, from_rate, to_rate, quality="HQ").astype(np.float32, copy=False)


def fix_length(signal: np.ndarray, length: int) -> np.ndarray:
    """Zero-pad at the end or crop from the start so the clip has exactly ``length`` samples."""
    if signal.shape[-1] >= length:
        return signal[..., :length]
    pad = [(0, 0)] * (signal.ndim - 1) + [(0, length - signal.shape[-1])]
    return np.pad(signal, pad)


def is_audio_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in AUDIO_EXTENSIONS


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[-1] if text else type(err).__name__
