"""How a model hears audio that is not exactly one clip long: the one windowing policy.

A model is trained on clips of its front end's length. Anything else (a 3-s file, an hour, a
stream) is cut into windows of that length, half-overlapping, the last one flush with the end so
every sample is heard (``Windowing.of_model``): what ``predict``, ``embed``, ``serve``, the
exposure set and the search index read. ``timeline`` and ``listen`` choose a shorter window and
hop, with the last window on the hop grid (``tail="pad"``) so start times stay on it. Windows come
out in batches of a fixed count, so memory is bounded by the batch, never by the input's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterable, Iterator

import numpy as np

from envsound.audio import Tail, iter_windows


@dataclass(frozen=True)
class Windowing:
    """Windows of ``size`` samples every ``hop`` samples; ``tail``: how the last one is placed
    (``audio.iter_windows``)."""

    size: int
    hop: int
    tail: Tail = "flush"

    @classmethod
    def of(cls, rate: int, seconds: float, hop_seconds: float | None = None, tail: Tail = "flush") -> Windowing:
        """Windows of ``seconds`` at ``rate``, every ``hop_seconds`` (default: half a window)."""
        size = round(seconds * rate)
        return cls(size, round(hop_seconds * rate) if hop_seconds is not None else max(1, size // 2), tail)

    @classmethod
    def of_model(cls, extractor: Any) -> Windowing:
        """The policy a model's clip-level answers use: its front end's clip length, half-overlapping."""
        return cls.of(extractor.sample_rate, extractor.clip_seconds)

    def windows(self, blocks: Iterable[np.ndarray]) -> Iterator[tuple[int, np.ndarray]]:
        """(start sample, window) over a stream of blocks; one window plus one block held at a time."""
        return iter_windows(blocks, self.size, self.hop, self.tail)

    def batches(self, blocks: Iterable[np.ndarray], batch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(start samples (n,), float32 windows (n, size)), ``batch`` windows at a time (the last
        batch may hold fewer)."""
        if batch < 1:
            raise ValueError(f"a batch holds at least one window, got {batch}")
        cut = self.windows(blocks)
        while chunk := list(islice(cut, batch)):
            yield np.array([start for start, _ in chunk], dtype=np.int64), np.stack([w for _, w in chunk]).astype(np.float32, copy=False)

    def split(self, signal: np.ndarray) -> np.ndarray:
        """Every window of a signal already in memory, (n, size)."""
        return np.stack([w for _, w in self.windows([signal])])
