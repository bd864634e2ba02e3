"""Real-world damage to a clip: the operations ESC-50-C (at three fixed severities each) and the
real-world training transforms are made of; ``augment/table.py`` names them and holds their settings.

Each corruption is deterministic given its random generator, and reaches what it claims on its
output (tests measure SNR, band edges, RT60, clipping and length): additive white and pink noise
at 20/10/0 dB SNR; another clip as background at 10/5/0 dB; a simulated room's reverberation
(pyroomacoustics' image-source model) with RT60 ≈ 0.3/0.7/1.2 s; band-limiting (4 kHz low-pass,
the 300–3400 Hz telephone band, 2 kHz low-pass); MP3 at 64/32/16 kbps (libsndfile's LAME, at
16 kHz); gain into hard clipping (+6/+12/+20 dB over full scale); a random crop to 3/2/1 s.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

# libsndfile's MP3 encoder takes a compression level, not a bitrate: at 16 kHz these give 65, 32.5
# and 16.2 kbps constant bitrate (measured; tests/augment/test_corruptions.py checks them).
MP3_LEVEL_16K = {64: 0.6, 32: 0.85, 16: 0.95}
TINY = 1e-12


def power(signal: np.ndarray) -> float:
    return float(np.mean(np.square(signal, dtype=np.float64)))


def mix_at_snr(signal: np.ndarray, other: np.ndarray, snr_db: float) -> np.ndarray:
    """``signal`` plus ``other`` scaled so that power(signal) / power(scaled other) is ``snr_db``."""
    gain = np.sqrt(max(power(signal), TINY) / max(power(other), TINY) / 10 ** (snr_db / 10))
    return (signal + gain * other).astype(np.float32)


ROOMS_PER_RT60 = 8


def measured_rt60(rir: np.ndarray, rate: int) -> float:
    """RT60 from the impulse response's Schroeder decay, -5 to -35 dB (T30), extrapolated."""
    import pyroomacoustics as pra

    return float(pra.experimental.measure_rt60(rir, fs=rate, decay_db=30))


def room_impulse_response(rt60: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A shoebox room (image-source model) whose impulse response *measures* ``rt60`` within 10 %:
    Sabine's formula overshoots in such rooms, so the requested value is corrected from the
    measured one until they agree. Room size, source and microphone are drawn from ``rng``."""
    import pyroomacoustics as pra

    dims = np.array([rng.uniform(5, 9), rng.uniform(4, 7), rng.uniform(2.6, 3.5)])
    source, microphone = rng.uniform(0.5, dims - 0.5), rng.uniform(0.5, dims - 0.5)
    requested = rt60
    for _ in range(6):
        absorption, max_order = pra.inverse_sabine(requested, dims)
        room = pra.ShoeBox(dims, fs=rate, materials=pra.Material(absorption), max_order=max_order, use_rand_ism=False)
        room.add_source(source)
        room.add_microphone(microphone)
        room.compute_rir()
        rir = np.asarray(room.rir[0][0], dtype=np.float64)
        measured = measured_rt60(rir, rate)
        if abs(measured - rt60) <= 0.1 * rt60:
            break
        requested *= rt60 / measured
    return rir


@lru_cache(maxsize=16)
def room_bank(rt60: float, rate: int) -> tuple[np.ndarray, ...]:
    """A few rooms per RT60, made once from a fixed seed and shared by every clip: a clip's
    generator picks one, so the benchmark is deterministic and fast."""
    rng = np.random.default_rng([int(rt60 * 1000), rate])
    return tuple(room_impulse_response(rt60, rate, rng) for _ in range(ROOMS_PER_RT60))


def reverberate(signal: np.ndarray, rate: int, rt60: float, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import fftconvolve

    bank = room_bank(rt60, rate)
    wet = fftconvolve(signal, bank[int(rng.integers(len(bank)))])[: len(signal)]
    return (wet * np.sqrt(max(power(signal), TINY) / max(power(wet), TINY))).astype(np.float32)


def mp3(signal: np.ndarray, rate: int, kbps: int) -> np.ndarray:
    """Encode to MP3 at ``kbps`` (constant bitrate, at 16 kHz) and decode again, same length."""
    import soundfile as sf

    from envsound.audio import fix_length, resample

    low = resample(signal.astype(np.float32), rate, 16000)
    peak = max(float(np.abs(low).max(initial=0.0)), TINY)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(low / peak * 0.9, -1, 1), 16000, format="MP3", compression_level=MP3_LEVEL_16K[kbps], bitrate_mode="CONSTANT")
    buffer.seek(0)
    decoded = sf.read(buffer, dtype="float32")[0] * (peak / 0.9)
    decoded = decoded[_delay(low, decoded) :]  # the codec's own delay (encoder padding), removed
    return fix_length(resample(decoded.astype(np.float32), 16000, rate), len(signal))


def _delay(original: np.ndarray, decoded: np.ndarray, most: int = 4000) -> int:
    """Samples by which ``decoded`` lags ``original`` (cross-correlation over the first ``most``)."""
    from scipy.signal import correlate

    n = min(len(original), len(decoded))
    lags = correlate(decoded[:n], original[:n], mode="full", method="fft")[n - 1 : n - 1 + most]
    return int(np.argmax(lags))


def clip(signal: np.ndarray, gain_db: float) -> np.ndarray:
    """Peak at full scale, then ``gain_db`` more into a hard clip at ±1."""
    peak = max(float(np.abs(signal).max(initial=0.0)), TINY)
    return np.clip(signal / peak * 10 ** (gain_db / 20), -1.0, 1.0).astype(np.float32)


def crop(signal: np.ndarray, rate: int, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A random ``seconds``-long stretch; a model then sees it zero-padded, as any short clip."""
    length = min(len(signal), round(seconds * rate))
    start = int(rng.integers(0, len(signal) - length + 1))
    return signal[start : start + length].astype(np.float32)


def loop_to_length(other: np.ndarray | None, length: int) -> np.ndarray:
    assert other is not None
    if len(other) >= length:
        return other[:length]
    return np.resize(other, length)  # a shorter background loops
