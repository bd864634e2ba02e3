"""Long recordings -> per-window probabilities -> labelled segments, in constant memory.

The file is streamed by ``audio.stream_audio`` (the one decoder, with its checks) and cut by
``audio.iter_windows`` at a chosen hop; only one block plus one batch of windows is held at a time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from envsound.audio import iter_windows, probe, stream_audio
from envsound.defaults import MAX_WINDOW_SECONDS, TIMELINE_HOP, TIMELINE_THRESHOLD, TIMELINE_WINDOW
from envsound.errors import ConfigError
from envsound.inference.predict import UNKNOWN, Predictor


@dataclass
class Segment:
    label: str
    start: float
    end: float
    confidence: float  # mean top probability over the segment's windows

    def to_dict(self) -> dict:
        return {k: (round(float(v), 3) if isinstance(v, (float, np.floating)) else v) for k, v in asdict(self).items()}


@dataclass
class Timeline:
    file: str
    window_seconds: float
    hop_seconds: float
    starts: np.ndarray  # (n_windows,) window start times in seconds
    probabilities: np.ndarray  # (n_windows, n_classes)
    classes: tuple[str, ...]
    duration: float
    overview: np.ndarray | None = None  # (n_mels, n_windows·k) coarse spectrogram for plotting
    abstain_below: float | None = None  # cells whose calibrated top probability is under this are "unknown"
    distances: np.ndarray | None = None  # (n_windows,) embedding distance to the nearest class (models with novelty)
    distance_above: float | None = None  # cells whose mean distance is over this are "unknown" too
    exposures: np.ndarray | None = None  # (n_windows,) exposure-relative scores (models calibrated with an exposure set)
    exposure_above: float | None = None  # cells whose mean exposure score is over this are "unknown" too

    def frame_probabilities(self) -> np.ndarray:
        """(n_cells, n_classes): each hop-long cell gets the mean of every window covering it."""
        return self._cells()[1]

    def _cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(indices of the hop-long cells some window covers, their mean probabilities, their mean
        embedding distances and exposure scores, or None); a stream whose scorer skipped ahead
        (``listen``) leaves cells no window covers, which are dropped."""
        per_window = max(1, round(self.window_seconds / self.hop_seconds))
        last = round(float(self.starts.max()) / self.hop_seconds) if len(self.starts) else 0
        n_cells = max(last + per_window, int(np.ceil(self.duration / self.hop_seconds - 1e-9)))
        total = np.zeros((n_cells, self.probabilities.shape[1]))
        distance = np.zeros(n_cells)
        exposure = np.zeros(n_cells)
        count = np.zeros(n_cells)
        for i, start in enumerate(self.starts):
            first = round(start / self.hop_seconds)
            total[first : first + per_window] += self.probabilities[i]
            if self.distances is not None:
                distance[first : first + per_window] += self.distances[i]
            if self.exposures is not None:
                exposure[first : first + per_window] += self.exposures[i]
            count[first : first + per_window] += 1
        used = count > 0
        distances = distance[used] / count[used] if self.distances is not None else None
        exposures = exposure[used] / count[used] if self.exposures is not None else None
        return np.flatnonzero(used), total[used] / count[used, None], distances, exposures

    def segments(self, threshold: float = TIMELINE_THRESHOLD) -> list[Segment]:
        """Label each hop-long cell by its averaged probabilities; equal neighbours merge."""
        check_threshold(threshold)
        indices, cells, distances, exposures = self._cells()
        out: list[Segment] = []
        for j, (k, probs) in enumerate(zip(indices.tolist(), cells)):
            lo, hi = k * self.hop_seconds, min(self.duration, (k + 1) * self.hop_seconds)
            label, p = int(probs.argmax()), float(probs.max())
            if p < threshold or lo >= self.duration:
                continue
            novel = self.distance_above is not None and distances is not None and distances[j] > self.distance_above
            novel = novel or (self.exposure_above is not None and exposures is not None and exposures[j] > self.exposure_above)
            name = UNKNOWN if novel or (self.abstain_below is not None and p < self.abstain_below) else self.classes[label]
            if out and out[-1].label == name and abs(out[-1].end - lo) < 1e-6:
                prev = out[-1]
                n = round((prev.end - prev.start) / self.hop_seconds) or 1
                prev.confidence = (prev.confidence * n + p) / (n + 1)
                prev.end = hi
            else:
                out.append(Segment(name, lo, hi, p))
        return out


def window_and_hop(window_seconds: float, hop_seconds: float, rate: int) -> tuple[int, int]:
    """Window and hop in samples, checked in one place for timeline and listen: a window from 0.5 s
    to ``MAX_WINDOW_SECONDS`` and a hop above 0 and at most the window (NaN and infinity refused)."""
    if not (math.isfinite(window_seconds) and 0.5 <= window_seconds <= MAX_WINDOW_SECONDS):
        raise ConfigError(f"--window must be between 0.5 and {MAX_WINDOW_SECONDS:g} s, got {window_seconds:g}")
    window = round(window_seconds * rate)
    if not (math.isfinite(hop_seconds) and 0 < round(hop_seconds * rate) <= window):
        raise ConfigError(f"--hop must be above 0 and at most the window ({window_seconds:g} s), got {hop_seconds:g}")
    return window, round(hop_seconds * rate)


def check_threshold(threshold: float) -> float:
    """A segment's minimum probability, a number from 0 to 1 (NaN would silently label nothing)."""
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"--threshold must be between 0 and 1, got {threshold:g}")
    return threshold


def compute_timeline(predictor: Predictor, path: str | Path | None = None, window_seconds: float | None = TIMELINE_WINDOW, hop_seconds: float = TIMELINE_HOP,
                     batch_size: int | None = None, overview: bool = False, signal: np.ndarray | None = None) -> Timeline:
    """A file streamed from ``path``, or a ``signal`` already decoded at the model's rate.

    Windows shorter than the model's clip length localise better; the networks pool over time,
    so they accept any window length."""
    rate = predictor.extractor.sample_rate
    window, hop = window_and_hop(window_seconds if window_seconds is not None else predictor.window_samples / rate, hop_seconds, rate)
    batch_size = predictor.batch_windows(window / rate) if batch_size is None else batch_size
    starts: list[int] = []
    probs: list[np.ndarray] = []
    distances: list[np.ndarray] = []
    exposures: list[np.ndarray] = []
    novelty = predictor.novelty if predictor.abstain and predictor.score_with_embedding is not None else None
    columns: list[np.ndarray] = []
    batch: list[np.ndarray] = []

    def flush() -> None:
        if batch:
            waves = np.stack(batch)
            features = predictor.features(waves)
            if novelty is not None:  # the embedding the model's "none of these" reads, from the same pass
                scored, embedding = predictor.score_with_embedding(features)
                distance, exposure = novelty.scores(embedding)
                distances.append(np.atleast_1d(distance))
                if exposure is not None:
                    exposures.append(np.atleast_1d(exposure))
            else:
                scored = predictor.score(features)
            probs.append(predictor.calibration.apply(scored) if predictor.calibration is not None else scored)
            if overview:  # the first hop of each window, pooled 4x in time: a coarse spectrogram
                frames = max(1, int(features.shape[-1] * hop / window))
                head = features[:, 0, :, :frames]
                pooled = head[..., : frames // 4 * 4].reshape(*head.shape[:2], -1, 4).mean(-1) if frames >= 4 else head
                columns.extend(pooled)
            batch.clear()

    if signal is not None:
        blocks, duration, name = [signal], len(signal) / rate, str(path or "<array>")
    elif path is not None:
        info = probe(path)
        blocks, duration, name = stream_audio(path, rate, info=info), info.duration, str(path)
    else:
        raise ConfigError("compute_timeline needs a path or a signal")
    for start, wave in iter_windows(blocks, window, hop, tail="pad"):
        starts.append(start)
        batch.append(wave)
        if len(batch) >= batch_size:
            flush()
    flush()
    image = np.concatenate(columns, axis=1) if columns else None
    calibration = predictor.calibration if predictor.abstain else None
    return Timeline(name, window / rate, hop / rate, np.array(starts) / rate, np.concatenate(probs), predictor.classes, duration, image,
                    abstain_below=calibration.abstain_below if calibration is not None else None,
                    distances=np.concatenate(distances) if distances else None,
                    distance_above=calibration.distance_above if calibration is not None and distances else None,
                    exposures=np.concatenate(exposures) if exposures else None,
                    exposure_above=calibration.exposure_above if calibration is not None and exposures else None)


def write_segments(segments: list[Segment], path: str | Path) -> Path:
    import csv
    import json

    from envsound.utils import atomic_path, table_format

    path = Path(path)
    kind = table_format(path)
    with atomic_path(path) as tmp:
        if kind == "json":
            tmp.write_text(json.dumps([s.to_dict() for s in segments], indent=2, allow_nan=False) + "\n")
        else:
            with open(tmp, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["label", "start", "end", "confidence"])
                for s in segments:
                    d = s.to_dict()
                    writer.writerow([d["label"], d["start"], d["end"], d["confidence"]])
    return path
