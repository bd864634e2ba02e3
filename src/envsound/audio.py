"""The one place that decodes and resamples audio, and the one place that cuts it into windows.

Everything else asks for ``load_audio(path, sample_rate, seconds)`` (a short clip, whole) or
``stream_audio(path, sample_rate)`` (a recording of any length, block by block) and gets mono
float32 at the requested rate, so a model never sees a file's native rate or channel layout, and
memory never grows with a recording's length. Both go through the same checks: a file that is
missing, not audio, empty, NaN-filled, at an absurd sample rate or longer than the cap fails with
one ``AudioError`` line, also when the damage is found halfway through decoding.
"""

from __future__ import annotations

import functools
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Literal

import numpy as np
import soundfile as sf
import soxr

from envsound.errors import AudioError
from envsound.utils import GrowingRows

SNDFILE_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au", ".opus")
# What libsndfile does not read: phone recordings (AAC in .m4a), the audio of videos, WMA; decoded
# by PyAV (FFmpeg in its wheels), the `formats` extra: pip install 'envsound[formats]'
FFMPEG_EXTENSIONS = (".m4a", ".aac", ".mp4", ".m4v", ".mov", ".3gp", ".webm", ".mkv", ".wma", ".wmv")
AUDIO_EXTENSIONS = SNDFILE_EXTENSIONS + FFMPEG_EXTENSIONS
SHORT_DECODE_TOLERANCE = 0.05  # decoding this much short of the header's length is said in a warning
# Below 1 kHz nothing a classifier hears survives, and resampling a 1 Hz header to 16 kHz turns
# a 1 KB file into gigabytes; above 768 kHz no real recorder writes.
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1_000, 768_000
MAX_SECONDS_ENV = "ENVSOUND_MAX_SECONDS"
DEFAULT_MAX_SECONDS = 24 * 3600.0  # a day: past that a "recording" is almost surely a bad header
BLOCK_SECONDS = 10.0


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def max_seconds_default() -> float:
    value = os.environ.get(MAX_SECONDS_ENV)
    try:
        return float(value) if value else DEFAULT_MAX_SECONDS
    except ValueError:
        raise AudioError(f"${MAX_SECONDS_ENV} must be a number of seconds, got '{value}'") from None


def probe(path: str | Path, max_seconds: float | None = None) -> AudioInfo:
    """Header checks before any sample is decoded: exists, is audio, has samples, sane rate, not
    longer than ``max_seconds`` (default ``$ENVSOUND_MAX_SECONDS`` or a day)."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: file not found")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):  # decoders seek; a pipe would fail deep inside them, a FIFO or device could block or never end
        kind = "a pipe" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"
        raise AudioError(f"{path}: {kind}, not an audio file; save the stream to a file first, or pipe WAV or raw PCM into `envsound listen -`")
    if path.suffix.lower() in FFMPEG_EXTENSIONS:
        rate, channels, frames = _probe_ffmpeg(path)
    else:
        try:
            with open(path, "rb") as handle:  # by handle: libsndfile cannot open a name that is not UTF-8
                info = sf.info(handle)
        except OSError as err:
            raise AudioError(f"{path}: cannot be opened ({err.strerror})") from None
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
            raise AudioError(f"{path}: not a readable audio file ({_short(err)})") from None
        rate, channels, frames = int(info.samplerate), int(info.channels), int(info.frames)
    if frames <= 0:
        raise AudioError(f"{path}: contains no audio samples")
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioError(f"{path}: sample rate {rate} Hz is outside {MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz; the header is probably wrong")
    found = AudioInfo(path, rate, channels, frames)
    cap = max_seconds_default() if max_seconds is None else max_seconds
    if found.duration > cap:
        raise AudioError(f"{path}: {found.duration:.0f} s long, over the {cap:g} s limit (raise it with ${MAX_SECONDS_ENV})")
    return found


def stream_audio(path: str | Path, sample_rate: int, block_seconds: float = BLOCK_SECONDS, max_seconds: float | None = None, info: AudioInfo | None = None) -> Iterator[np.ndarray]:
    """Mono float32 blocks at ``sample_rate``, about ``block_seconds`` each, decoded and resampled
    as a stream: concatenated, they equal decoding the whole file at once (soxr's stream and
    one-shot resamplers give identical samples)."""
    info = info or probe(path, max_seconds)
    block = max(1, int(block_seconds * info.sample_rate))
    resampler = None if info.sample_rate == sample_rate else soxr.ResampleStream(info.sample_rate, sample_rate, 1, dtype="float32", quality="HQ")
    done = 0
    ffmpeg = info.path.suffix.lower() in FFMPEG_EXTENSIONS
    try:
        for data, last in (_ffmpeg_blocks(info.path, block) if ffmpeg else _sndfile_blocks(info, block)):
            done += len(data)
            mono = to_mono(data)
            if not np.all(np.isfinite(mono)):
                raise AudioError(f"{info.path}: contains NaN or infinite samples (near {done / info.sample_rate:.1f} s)")
            out = resampler.resample_chunk(mono, last=last) if resampler is not None else mono
            if len(out):
                yield np.ascontiguousarray(out, dtype=np.float32)
            if last:
                break
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, OSError) as err:
        raise AudioError(f"{info.path}: decoding failed after {done / info.sample_rate:.1f} s ({_short(err)}); the file is damaged or truncated") from None
    if done == 0:
        raise AudioError(f"{info.path}: contains no audio samples")
    if done < info.frames * (1 - SHORT_DECODE_TOLERANCE):
        import warnings

        warnings.warn(f"{info.path}: decoded {done / info.sample_rate:.1f} s of the {info.duration:.1f} s its header states; the file may be truncated", stacklevel=2)


def _sndfile_blocks(info: AudioInfo, block: int) -> Iterator[tuple[np.ndarray, bool]]:
    """(frames, channels) float32 blocks from libsndfile, and whether each is the last."""
    done = 0
    with open(info.path, "rb") as raw, sf.SoundFile(raw) as handle:
        while True:
            data = handle.read(block, dtype="float32", always_2d=True)
            done += len(data)
            yield data, len(data) < block or done >= info.frames
            if len(data) < block or done >= info.frames:
                return


def _av():
    try:
        import av
    except ImportError:
        raise AudioError("this format is decoded by PyAV: pip install 'envsound[formats]'") from None
    return av


def _probe_ffmpeg(path: Path) -> tuple[int, int, int]:
    """(rate, channels, frames) of the first audio stream, from the container's header."""
    av = _av()
    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio
            if not streams:
                raise AudioError(f"{path}: has no audio stream")
            stream = streams[0]
            rate, channels = int(stream.rate or 0), int(stream.channels or 0)
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            else:
                seconds = (container.duration or 0) / 1_000_000
    except AudioError:
        raise
    except (av.FFmpegError, OSError, ValueError) as err:
        raise AudioError(f"{path}: not a readable audio file ({_short(err)})") from None
    return rate, channels, round(seconds * rate)


def _ffmpeg_blocks(path: Path, block: int) -> Iterator[tuple[np.ndarray, bool]]:
    """(frames, channels) float32 blocks decoded by FFmpeg, about ``block`` frames each: one block
    and one decoded packet are held at a time, so memory stays flat in the file's length."""
    av = _av()
    pending: list[np.ndarray] = []
    held = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=stream.rate)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().T.astype(np.float32, copy=False))
                    held += len(pending[-1])
                    if held >= block:
                        yield np.concatenate(pending), False
                        pending, held = [], 0
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().T.astype(np.float32, copy=False))
    except av.FFmpegError as err:
        raise ValueError(str(err)) from None
    channels = len(stream.layout.channels) if stream.layout is not None else 1
    yield (np.concatenate(pending) if pending else np.zeros((0, channels), dtype=np.float32)), True


def load_audio(path: str | Path, sample_rate: int, seconds: float | None = None, max_seconds: float | None = None) -> np.ndarray:
    """Decode ``path`` whole to mono float32 at ``sample_rate``; pad/crop to ``seconds`` if given.

    With ``seconds`` only that much (plus a margin for the resampler) is decoded, so a fixed-length
    feature of an hour-long file costs what it costs for a clip.
    """
    info = probe(path, max_seconds if seconds is None else float("inf"))
    parts: list[np.ndarray] = []
    kept = 0
    wanted = None if seconds is None else round(seconds * sample_rate) + sample_rate  # 1 s margin
    for part in stream_audio(path, sample_rate, info=info):
        parts.append(part)
        kept += len(part)
        if wanted is not None and kept >= wanted:
            break
    mono = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if seconds is not None:
        mono = fix_length(mono, round(seconds * sample_rate))
    return np.ascontiguousarray(mono, dtype=np.float32)


def audio_info(path: str | Path) -> tuple[int, int, float]:
    """(sample_rate, channels, duration in seconds) without decoding the samples."""
    info = probe(path, max_seconds=float("inf"))
    return info.sample_rate, info.channels, info.duration


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


Tail = Literal["flush", "pad"]


def iter_windows(blocks: Iterable[np.ndarray], size: int, hop: int, tail: Tail = "flush") -> Iterator[tuple[int, np.ndarray]]:
    """(start sample, window of ``size``) every ``hop`` samples over a stream of blocks.

    A signal no longer than one window gives one zero-padded window. Past the last full window, a
    remainder longer than the overlap gets one more window: flush with the end of the signal
    (``tail="flush"``: nothing is padded, every sample is heard; what ``predict`` uses) or starting
    on the hop grid, zero-padded (``tail="pad"``: start times stay on the grid; what ``timeline``
    uses). Only one window plus one block is held at a time.
    """
    if size <= 0 or not 0 < hop <= size:
        raise ValueError(f"window {size} and hop {hop}: need 0 < hop <= window")
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0  # sample index of buffer[0]
    previous: np.ndarray | None = None  # the last window given out
    for block in blocks:
        buffer = np.concatenate([buffer, block]) if len(buffer) else np.asarray(block, dtype=np.float32)
        while len(buffer) >= size:
            previous = buffer[:size]
            yield offset, previous
            buffer, offset = buffer[hop:], offset + hop
    if previous is None:
        yield 0, fix_length(buffer, size)
    elif len(buffer) > size - hop:  # samples past the last window's end remain
        if tail == "pad":
            yield offset, fix_length(buffer, size)
        else:
            end = offset + len(buffer)
            yield end - size, np.concatenate([previous[:hop], buffer])[-size:]


FRAME_SECONDS = 0.02  # level frames: short enough to place an onset within 20 ms


def frame_levels(signal: np.ndarray, rate: int, frame_seconds: float = FRAME_SECONDS, emphasis: float = 0.0, previous: float = 0.0) -> np.ndarray:
    """RMS level in dBFS of consecutive non-overlapping frames (a last, partial one dropped).
    ``emphasis``: measured on y[n] = x[n] - emphasis * x[n-1] (``previous``: the sample before
    ``signal``), which flattens brown and pink noise so their slow swings do not read as events."""
    signal = np.asarray(signal, dtype=np.float64)
    if emphasis:
        signal = signal - emphasis * np.concatenate([[previous], signal[:-1]])
    size = max(1, round(frame_seconds * rate))
    frames = signal[: len(signal) // size * size].reshape(-1, size)
    return 10 * np.log10(np.maximum(np.mean(frames**2, axis=1), 1e-20))


BAND_EDGES_HZ = (100.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)  # octaves, about: band levels


def band_levels(signal: np.ndarray, rate: int, frame_seconds: float = FRAME_SECONDS, edges_hz: tuple[float, ...] = BAND_EDGES_HZ) -> np.ndarray:
    """(frames, bands) levels in dB of consecutive non-overlapping frames (a last, partial one
    dropped), each the power of a Hann-windowed frame between neighbouring ``edges_hz`` (bands
    above the Nyquist frequency are left out). A sound rises over a bed in the bands it fills,
    whatever the bed's colour: over white noise a low sound moves its low bands, where the
    broadband level hardly moves."""
    signal = np.asarray(signal, dtype=np.float64)
    size = max(1, round(frame_seconds * rate))
    window, spans = _band_plan(size, rate, tuple(edges_hz))
    frames = signal[: len(signal) // size * size].reshape(-1, size)
    if not len(frames) or not spans:
        return np.zeros((len(frames), len(spans)))
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    summed = np.stack([power[:, a:b].sum(axis=1) for a, b in spans], axis=1)
    return 10 * np.log10(np.maximum(summed, 1e-20))


@functools.lru_cache(maxsize=8)
def _band_plan(size: int, rate: int, edges_hz: tuple[float, ...]) -> tuple[np.ndarray, tuple[tuple[int, int], ...]]:
    """(Hann window, each band's first and one-past-last FFT bin): made once per frame size and
    rate, since ``listen`` asks for band levels ten times a second."""
    bins = np.fft.rfftfreq(size, 1.0 / rate)
    edges = [e for e in edges_hz if e <= rate / 2]
    spans = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = np.flatnonzero((bins >= lo) & (bins < hi))
        if len(inside):
            spans.append((int(inside[0]), int(inside[-1]) + 1))
    window = np.hanning(size)
    window.setflags(write=False)
    return window, tuple(spans)


def loudest_window(signal: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """The ``seconds`` of ``signal`` centred on its loudest 20-ms frame (zero-padded if shorter):
    where a clip's event is, wherever it sits in the clip."""
    size = round(seconds * rate)
    levels = frame_levels(signal, rate)
    centre = int(np.argmax(levels)) * max(1, round(FRAME_SECONDS * rate)) if len(levels) else 0
    start = int(np.clip(centre - size // 2, 0, max(0, len(signal) - size)))
    return fix_length(np.asarray(signal[start : start + size], dtype=np.float32), size)


class LevelTrack:
    """20-ms frame levels of a stream, gathered as its blocks pass by (``watch``): 50 numbers a
    second, so an hour costs 1.4 MB, where the audio would cost 460 MB. ``bands``: also each
    frame's ``band_levels`` (up to seven more numbers a frame, 10 MB an hour)."""

    def __init__(self, rate: int, emphasis: float = 0.0, bands: bool = False) -> None:
        self.rate = rate
        self.emphasis = emphasis
        self.size = max(1, round(FRAME_SECONDS * rate))
        self._carry = np.zeros(0, dtype=np.float32)
        self._previous = 0.0
        self._levels = GrowingRows(1)  # a few numbers a block, for hours: chunks, not an array per block
        self._bands = GrowingRows(len(band_levels(np.zeros(self.size), rate)[0])) if bands else None

    def watch(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for block in blocks:
            joined = np.concatenate([self._carry, block]) if len(self._carry) else np.asarray(block, dtype=np.float32)
            whole = len(joined) // self.size * self.size
            if whole:
                self._levels.extend(frame_levels(joined[:whole], self.rate, emphasis=self.emphasis, previous=self._previous))
                if self._bands is not None:
                    self._bands.extend(band_levels(joined[:whole], self.rate))
                self._previous = float(joined[whole - 1])
            self._carry = joined[whole:]
            yield block

    @property
    def levels(self) -> np.ndarray:
        return self._levels.array()[:, 0]

    @property
    def band_levels(self) -> np.ndarray | None:
        """(frames, bands), or None when the track was made without ``bands``."""
        return None if self._bands is None else self._bands.array()


def shifted_copies(windows: np.ndarray, copies: int) -> np.ndarray:
    """(copies * n, size): ``windows`` (n, size) and ``copies - 1`` circularly shifted versions,
    shift k/copies of the window for copy k, stacked copy by copy. Test-time augmentation (and a
    teacher's averaged targets) score the same sound at other positions in its window."""
    size = windows.shape[1]
    return np.concatenate([np.roll(windows, round(size * k / copies), axis=1) for k in range(copies)])


LIVE_BLOCK_SECONDS = 0.1  # live sources are read in short blocks: latency, not throughput


@dataclass(frozen=True)
class RawFormat:
    """Headerless PCM on a pipe (what ``ffmpeg -f s16le -`` writes): rate, channels, sample type."""

    sample_rate: int
    channels: int = 1
    subtype: str = "PCM_16"


def _check_rate(rate: int, where: str) -> None:
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioError(f"{where}: sample rate {rate} Hz is outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz")


CANCELLED_DB = 30.0  # a mix this far under its channels' mean power has cancelled out


def to_mono(data: np.ndarray) -> np.ndarray:
    """(frames, channels) -> (frames,): the channels' mean, unless they cancel (a right channel that
    is the left inverted mixed to silence, and a loud file was called "silent"): then the loudest
    channel alone."""
    if data.shape[1] == 1:
        return data[:, 0]
    mono = data.mean(axis=1)
    channel_power = np.mean(np.square(data, dtype=np.float64), axis=0)
    if channel_power.max() > 1e-10 and np.mean(np.square(mono, dtype=np.float64)) < channel_power.mean() * 10 ** (-CANCELLED_DB / 10):
        return np.ascontiguousarray(data[:, int(np.argmax(channel_power))])
    return mono


def _mono_blocks(blocks: Iterable[np.ndarray], from_rate: int, to_rate: int, where: str) -> Iterator[np.ndarray]:
    """(frames, channels) float32 blocks -> mono blocks at ``to_rate``, resampled as a stream."""
    resampler = None if from_rate == to_rate else soxr.ResampleStream(from_rate, to_rate, 1, dtype="float32", quality="HQ")
    seen = 0
    for data in blocks:
        mono = to_mono(data)
        seen += len(mono)
        if not np.all(np.isfinite(mono)):
            raise AudioError(f"{where}: NaN or infinite samples near {seen / from_rate:.1f} s")
        out = resampler.resample_chunk(mono, last=False) if resampler is not None else mono
        if len(out):
            yield np.ascontiguousarray(out, dtype=np.float32)
    if resampler is not None:
        tail = resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        if len(tail):
            yield np.ascontiguousarray(tail, dtype=np.float32)


def pcm_as_float(signal: np.ndarray, name: str) -> np.ndarray:
    """Samples as float32 in [-1, 1]: floats as they are; signed integer PCM divided by its full
    scale (int16 by 32768); unsigned (8-bit WAV's offset binary) centred first; anything else
    (bool, complex, objects) refused with one line."""
    if np.issubdtype(signal.dtype, np.floating):
        return signal.astype(np.float32, copy=False)
    if np.issubdtype(signal.dtype, np.signedinteger):
        return (signal / float(-np.iinfo(signal.dtype).min)).astype(np.float32)
    if np.issubdtype(signal.dtype, np.unsignedinteger):
        half = (float(np.iinfo(signal.dtype).max) + 1) / 2
        return ((signal - half) / half).astype(np.float32)
    raise AudioError(f"{name}: expected audio samples (floats, or integer PCM), got an array of {signal.dtype}")


def stream_pipe(fd: int, sample_rate: int, raw: RawFormat | None = None, block_seconds: float = LIVE_BLOCK_SECONDS) -> Iterator[np.ndarray]:
    """Mono float32 blocks at ``sample_rate`` from a pipe (standard input), read as they arrive and
    never seeked: a WAV stream (libsndfile accepts the unknown sizes ffmpeg writes when it
    streams) or, with ``raw``, headerless PCM."""
    where = "standard input"
    if raw is not None:  # the user's numbers, named as the user gave them (libsndfile's own words were "SF_INFO struct")
        _check_rate(raw.sample_rate, "--rate")
        if not 1 <= raw.channels <= 1024:
            raise AudioError(f"--channels: {raw.channels} is not a channel count from 1 to 1024")
    try:
        if raw is None:
            handle = sf.SoundFile(fd, closefd=False)
        else:
            handle = sf.SoundFile(fd, closefd=False, format="RAW", samplerate=raw.sample_rate, channels=raw.channels, subtype=raw.subtype)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        hint = "" if raw is not None else " (send WAV, e.g. `ffmpeg -i URL -f wav -`, or raw PCM with --raw --rate R)"
        raise AudioError(f"{where}: not a readable audio stream ({_short(err)}){hint}") from None
    with handle:
        _check_rate(handle.samplerate, where)
        block = max(1, int(block_seconds * handle.samplerate))

        def read() -> Iterator[np.ndarray]:
            while True:
                try:
                    data = handle.read(block, dtype="float32", always_2d=True)
                except (sf.LibsndfileError, RuntimeError, ValueError) as err:
                    raise AudioError(f"{where}: the stream broke off ({_short(err)})") from None
                if not len(data):
                    return
                yield data

        yield from _mono_blocks(read(), handle.samplerate, sample_rate, where)


def microphone_blocks(sample_rate: int, device: str | int | None = None, block_seconds: float = LIVE_BLOCK_SECONDS) -> Iterator[np.ndarray]:
    """Mono float32 blocks at ``sample_rate`` from a microphone (PortAudio through sounddevice,
    the ``live`` extra), recorded at the device's own rate and resampled here, until interrupted."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as err:  # OSError: the PortAudio library itself is missing
        raise AudioError(f"listening to a microphone needs sounddevice and PortAudio: pip install 'envsound[live]' ({_short(err)})") from None
    import queue

    try:
        native = int(sd.query_devices(device, "input")["default_samplerate"])
    except (ValueError, sd.PortAudioError) as err:
        raise AudioError(f"no usable input device ({_short(err)})") from None
    arrived: queue.Queue[np.ndarray] = queue.Queue()

    def captured(data: np.ndarray, frames: int, time: object, status: object) -> None:
        arrived.put(data.copy())

    def read() -> Iterator[np.ndarray]:
        with sd.InputStream(samplerate=native, channels=1, dtype="float32", device=device, blocksize=max(1, int(block_seconds * native)), callback=captured):
            while True:
                yield arrived.get()

    yield from _mono_blocks(read(), native, sample_rate, "microphone")


def is_audio_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in AUDIO_EXTENSIONS


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[-1] if text else type(err).__name__
