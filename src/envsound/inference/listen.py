"""Live listening: a stream of audio blocks -> a label every hop, never falling behind.

A reader thread takes blocks from the source (a microphone, or standard input) as they arrive and
stamps each with its arrival time; the scorer cuts rolling windows from them. When keeping up
(``keep_up=True``, the default for a live source), a window whose last sample arrived more than
``max_lag`` seconds ago means scoring is slower than real time: the scorer jumps to the newest
full window and reports the seconds it skipped, so answers stay current instead of queueing.
With ``keep_up=False`` every window is scored (a recording piped in faster than real time) and the
reader waits for the scorer, so memory stays flat either way.

The segments at the end are ``timeline``'s events, made by the same code from the same evidence:
the stream's 20-ms levels move their edges, and each event no longer than a clip is answered
again from its own audio (``timeline.as_clips``). For that the listener keeps the audio of the
windows that heard sound (not background), at most ``MAX_KEPT_SECONDS`` of it, the oldest let go
first; an event whose audio was let go keeps its cells' answer.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import numpy as np

from envsound.audio import LevelTrack, fix_length
from envsound.defaults import TIMELINE_HOP, TIMELINE_THRESHOLD, TIMELINE_WINDOW
from envsound.errors import ConfigError
from envsound.inference.predict import Predictor
from envsound.inference.timeline import EMPHASIS, ScoredWindows, Segment, as_clips, check_threshold, window_and_hop

MAX_LAG_SECONDS = 1.0
QUEUE_BLOCKS = 64  # blocks the reader may run ahead of the scorer (6.4 s of 0.1-s blocks)
MAX_KEPT_SECONDS = 300.0  # audio of sound kept for the events' second answer: 38 MB at 32 kHz, however long the stream


class SoundKept:
    """The audio of the windows that heard sound, at most ``limit`` samples of it (the oldest let
    go first), in one ring allocated at the first sound: what ``as_clips`` needs, since events lie
    inside such windows. One array, not a piece a window, so a long stream does not fragment the heap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.ring: np.ndarray | None = None
        self.spans: deque[list[int]] = deque()  # [first stream sample, length] of each run kept, oldest first
        self.size = 0  # samples kept
        self.head = 0  # the oldest kept sample's place in the ring
        self.until = 0  # the stream sample just past what is kept

    def keep(self, window: np.ndarray, start: int) -> None:
        fresh = window[max(0, self.until - start) :][-self.limit :]
        if not len(fresh):
            return
        first, n = start + len(window) - len(fresh), len(fresh)
        if self.ring is None:
            self.ring = np.zeros(self.limit, dtype=np.float32)
        tail = (self.head + self.size) % self.limit
        head_part = min(n, self.limit - tail)
        self.ring[tail : tail + head_part] = fresh[:head_part]
        self.ring[: n - head_part] = fresh[head_part:]
        if self.spans and sum(self.spans[-1]) == first:
            self.spans[-1][1] += n
        else:
            self.spans.append([first, n])
        self.size += n
        self.until = start + len(window)
        while self.size > self.limit:  # what the new samples overwrote in the ring
            oldest = self.spans[0]
            cut = min(self.size - self.limit, oldest[1])
            oldest[0] += cut
            oldest[1] -= cut
            self.head = (self.head + cut) % self.limit
            self.size -= cut
            if not oldest[1]:
                self.spans.popleft()

    @property
    def pieces(self) -> list[tuple[int, np.ndarray]]:
        """(first stream sample, samples) of each run kept, oldest first."""
        out, place = [], self.head
        for first, n in self.spans:
            assert self.ring is not None
            out.append((first, np.take(self.ring, np.arange(place, place + n), mode="wrap")))
            place = (place + n) % self.limit
        return out


@dataclass
class Heard:
    """One scored window: when it was in the stream, what it holds, how late the answer came."""

    start: float
    end: float
    labels: list[str]
    probabilities: list[float]
    answer: str  # the top label, "unknown" when the model abstains, or "background" when it hears no event
    latency: float  # seconds from the window's last sample arriving to this answer

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "answer": self.answer,
                "labels": self.labels, "probabilities": [round(p, 4) for p in self.probabilities], "latency_s": round(self.latency, 4)}


@dataclass
class Skipped:
    at: float  # stream time, seconds, where scoring resumed
    seconds: float  # stream seconds never scored

    def to_dict(self) -> dict:
        return {"event": "skipped", "at": round(self.at, 3), "seconds": round(self.seconds, 3)}


@dataclass
class ListenSummary:
    seconds: float  # stream length read
    windows: int
    skipped_seconds: float
    real_time_factor: float  # scoring time per second of stream advanced (< 1: faster than real time)
    max_latency: float
    segments: list[Segment] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"event": "end", "seconds": round(self.seconds, 3), "windows": self.windows, "skipped_seconds": round(self.skipped_seconds, 3),
                "real_time_factor": round(self.real_time_factor, 4), "max_latency_s": round(self.max_latency, 4), "segments": [s.to_dict() for s in self.segments]}


_DONE = object()


class Listener:
    """Rolling windows over a live stream, scored one at a time for latency."""

    def __init__(self, predictor: Predictor, window_seconds: float = TIMELINE_WINDOW, hop_seconds: float = TIMELINE_HOP, top_k: int = 3,
                 keep_up: bool = True, max_lag: float = MAX_LAG_SECONDS, threshold: float = TIMELINE_THRESHOLD, clock: Callable[[], float] = time.monotonic) -> None:
        self.predictor = predictor
        self.rate = predictor.extractor.sample_rate
        self.size, self.hop = window_and_hop(window_seconds, hop_seconds, self.rate)
        if top_k < 1:
            raise ConfigError("--top-k must be at least 1")
        if not max_lag > 0:
            raise ConfigError(f"--max-lag must be above 0 s, got {max_lag:g}")
        check_threshold(threshold)
        self.top_k, self.keep_up, self.max_lag, self.threshold, self.clock = top_k, keep_up, max_lag, threshold, clock

    def _read(self, blocks: Iterable[np.ndarray], inbox: queue.Queue, stop: threading.Event) -> None:
        try:
            for block in blocks:
                item = (np.asarray(block, dtype=np.float32), self.clock())
                while not stop.is_set():
                    try:
                        inbox.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            inbox.put(_DONE)
        except BaseException as err:  # handed to the scorer, which raises it in the caller's thread
            inbox.put(err)

    def listen(self, blocks: Iterable[np.ndarray], on_window: Callable[[Heard], None] = lambda h: None,
               on_skip: Callable[[Skipped], None] = lambda s: None) -> ListenSummary:
        """Score ``blocks`` (mono float32 at the model's rate) until the stream ends or the caller
        interrupts; returns totals and the merged segments (as ``timeline`` would write them)."""
        inbox: queue.Queue = queue.Queue(maxsize=QUEUE_BLOCKS)
        stop = threading.Event()
        levels = LevelTrack(self.rate, EMPHASIS, bands=True)  # as timeline measures them, for the events' edges
        kept = SoundKept(round(MAX_KEPT_SECONDS * self.rate))
        reader = threading.Thread(target=self._read, args=(levels.watch(blocks), inbox, stop), daemon=True, name="envsound-listen-reader")
        reader.start()
        buffer = np.zeros(0, dtype=np.float32)
        offset = 0  # stream sample index of buffer[0]
        arrivals: deque[tuple[int, float]] = deque()  # (stream sample just past a block, its arrival time)
        read_samples, windows, skipped, busy, worst = 0, 0, 0, 0.0, 0.0
        scored = ScoredWindows(self.predictor)  # for the segments, decided per cell
        finished = False

        def take(item: object) -> None:
            nonlocal buffer, read_samples, finished
            if item is _DONE:
                finished = True
            elif isinstance(item, BaseException):
                raise item
            else:
                block, arrived = item  # type: ignore[misc]
                buffer = np.concatenate([buffer, block]) if len(buffer) else block
                read_samples += len(block)
                arrivals.append((read_samples, arrived))

        def arrival_of(sample: int) -> float:
            while len(arrivals) > 1 and arrivals[0][0] < sample:
                arrivals.popleft()
            return arrivals[0][1]

        def emit(window: np.ndarray, start: int, arrived: float) -> None:
            nonlocal windows, busy, worst
            began = self.clock()
            raw, embeddings = self.predictor.window_scores(window[None])
            window_evidence = self.predictor.evidence(embeddings)
            decided = self.predictor.decide_scores(raw, *window_evidence)
            probs, answer = decided.probabilities[0], decided.answers(self.predictor.classes)[0]
            order = np.argsort(probs)[::-1][: self.top_k]
            labels = [self.predictor.classes[i] for i in order]
            done = self.clock()
            busy += done - began
            worst = max(worst, done - arrived)
            windows += 1
            scored.add(np.array([start]), raw, window_evidence)
            if not decided.background[0]:
                kept.keep(window, start)
            on_window(Heard(start / self.rate, (start + self.size) / self.rate, labels, [float(probs[i]) for i in order], answer, done - arrived))

        try:
            while True:
                # Take what has arrived (keeping up: up to a queue's worth, to find the newest window;
                # every window: only until one is full), waiting only while no window is full.
                for _ in range(QUEUE_BLOCKS):
                    if finished or (not self.keep_up and len(buffer) >= self.size):
                        break
                    try:
                        take(inbox.get(timeout=0.05) if len(buffer) < self.size else inbox.get_nowait())
                    except queue.Empty:
                        break
                if len(buffer) >= self.size:
                    if self.keep_up and self.clock() - arrival_of(offset + self.size) > self.max_lag:
                        newest = (len(buffer) - self.size) // self.hop * self.hop
                        if newest > 0:
                            buffer, offset = buffer[newest:], offset + newest
                            skipped += newest
                            on_skip(Skipped(offset / self.rate, newest / self.rate))
                    emit(buffer[: self.size], offset, arrival_of(offset + self.size))
                    buffer, offset = buffer[self.hop :], offset + self.hop
                elif finished:
                    # what remains past the last window: one zero-padded window on the hop grid, as timeline's tail
                    if len(buffer) and (windows == 0 or len(buffer) > self.size - self.hop):
                        emit(fix_length(buffer, self.size), offset, arrival_of(read_samples))
                    break
        except KeyboardInterrupt:  # the user ends a live stream: keep what was heard
            pass
        finally:
            stop.set()
        duration = read_samples / self.rate
        segments: list[Segment] = []
        if len(scored):
            timeline = scored.timeline("<stream>", self.size / self.rate, self.hop / self.rate, duration)
            timeline.levels = levels.levels[: read_samples // levels.size]  # the reader may have read past an interruption
            timeline.band_levels = levels.band_levels[: read_samples // levels.size]
            pieces = kept.pieces
            timeline.reanswer = lambda events, threshold, longest, keep=True: as_clips(self.predictor, events, [p for _, p in pieces], threshold, starts=[a for a, _ in pieces],
                                                                                  longest=longest, keep=keep)
            timeline.clip_seconds = self.predictor.extractor.clip_seconds
            segments = timeline.events(self.threshold)
        advanced = max(windows * self.hop / self.rate, 1e-9)
        return ListenSummary(duration, windows, skipped / self.rate, busy / advanced, worst, segments)


def paced(blocks: Iterable[np.ndarray], sample_rate: int, speed: float = 1.0) -> Iterator[np.ndarray]:
    """``blocks`` released no faster than real time (times ``speed``): a recording made to behave
    like a live source, for tests and for measuring latency."""
    began = time.monotonic()
    sent = 0
    for block in blocks:
        sent += len(block)
        wait = began + sent / sample_rate / speed - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        yield block
