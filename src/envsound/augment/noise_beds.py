"""Recordings with no event in them: coloured noise, mains hum and DC offset at a chosen level.

What a microphone gives between events (hiss, room tone, hum) is the "background" a model must
learn not to name. ``bed`` makes one such recording; ``measurement_beds`` is the fixed set that
``benchmarks/background.py`` and the tests measure on, and ``fit_beds`` draws the varied ones a
background detector is fitted on, from seeds that never overlap the test set's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Power falls with frequency as f**slope: white 0, pink -1, brown (red) -2; blue noise is +1.
SLOPES = {"white": 0.0, "pink": -1.0, "brown": -2.0}
TEST_LEVELS_DB = (-75.0, -65.0, -55.0, -45.0, -40.0)
TEST_SEED_BASE = 1000  # fit beds use seeds below this, test beds from it on


@dataclass(frozen=True)
class Bed:
    name: str
    signal: np.ndarray  # float32, mono


def rms_db(signal: np.ndarray) -> float:
    """RMS level in dBFS (a full-scale sine is -3 dBFS); -inf for digital silence."""
    power = float(np.mean(np.square(signal, dtype=np.float64))) if len(signal) else 0.0
    return 10.0 * np.log10(power) if power > 0 else float("-inf")


def at_level(signal: np.ndarray, level_db: float) -> np.ndarray:
    """``signal`` scaled to ``level_db`` dBFS RMS."""
    current = rms_db(signal)
    if not np.isfinite(current):
        return signal.astype(np.float32)
    return (signal * 10 ** ((level_db - current) / 20)).astype(np.float32)


def coloured(length: int, slope: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise whose power spectrum goes as f**slope (shaped in the frequency domain)."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length)
    freqs[0] = freqs[1] if length > 1 else 1.0
    spectrum *= freqs ** (slope / 2.0)
    return np.fft.irfft(spectrum, n=length)


def noise(length: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    """White, pink or brown Gaussian noise: every noise envsound adds to a clip comes from here
    (ESC-50-C's, the real-world copies' and the noise floors'; the scale is the caller's)."""
    return rng.standard_normal(length) if colour == "white" else coloured(length, SLOPES[colour], rng)


def hum(length: int, rate: int, mains_hz: float, harmonics: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mains hum: the fundamental and its harmonics with the given amplitudes, random phases."""
    t = np.arange(length) / rate
    out = np.zeros(length)
    for k, amplitude in enumerate(harmonics, start=1):
        if k * mains_hz < rate / 2:
            out += amplitude * np.sin(2 * np.pi * k * mains_hz * t + rng.uniform(0, 2 * np.pi))
    return out


def bed(kind: str, level_db: float, seconds: float, rate: int, seed: int) -> Bed:
    """One named background recording: ``white``/``pink``/``brown`` noise, ``hum50``/``hum60``, or
    ``dc`` (an offset of 0.1 under white noise at ``level_db``)."""
    rng = np.random.default_rng(seed)
    length = round(seconds * rate)
    if kind in SLOPES:
        signal = at_level(coloured(length, SLOPES[kind], rng), level_db)
    elif kind in ("hum50", "hum60"):
        signal = at_level(hum(length, rate, float(kind[3:]), np.array([1.0, 0.5, 0.3]), rng), level_db)
    elif kind == "dc":
        signal = at_level(coloured(length, 0.0, rng), level_db) + np.float32(0.1)
    else:
        raise ValueError(f"unknown bed kind {kind!r}")
    return Bed(f"{kind}{level_db:g}dB", signal.astype(np.float32))


def measurement_beds(rate: int, seconds: float = 10.0) -> list[Bed]:
    """The fixed measurement set: three noise colours at five levels, hum at two, DC under hiss."""
    plan = [(kind, level) for kind in SLOPES for level in TEST_LEVELS_DB]
    plan += [("hum50", -50.0), ("hum60", -30.0), ("dc", -65.0)]
    return [bed(kind, level, seconds, rate, TEST_SEED_BASE + i) for i, (kind, level) in enumerate(plan)]


def fit_beds(count: int, rate: int, seconds: float = 5.0, seed: int = 0) -> list[Bed]:
    """``count`` varied backgrounds for fitting: a random spectral slope (brown to blue) at
    -85..-30 dBFS, sometimes with hum or a DC offset added; seeds below ``TEST_SEED_BASE``."""
    if count > TEST_SEED_BASE:
        raise ValueError(f"at most {TEST_SEED_BASE} fit beds (their seeds must stay below the test set's)")
    out = []
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        length = round(seconds * rate)
        slope = float(rng.uniform(-2.0, 1.0))
        level = float(rng.uniform(-85.0, -30.0))
        signal = at_level(coloured(length, slope, rng), level).astype(np.float64)
        extra = rng.integers(0, 4)
        if extra == 1:  # hum, from far under the noise to well above it
            harmonics = rng.uniform(0.0, 1.0, size=int(rng.integers(1, 6)))
            harmonics[0] = 1.0
            signal += at_level(hum(length, rate, float(rng.choice([50.0, 60.0])), harmonics, rng), level + float(rng.uniform(-10, 25)))
        elif extra == 2:
            signal += float(rng.uniform(-0.3, 0.3))
        out.append(Bed(f"fit{i}", signal.astype(np.float32)))
    return out
