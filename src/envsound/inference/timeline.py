"""Long recordings -> per-window probabilities -> labelled segments, in constant memory.

The file is streamed by ``audio.stream_audio`` (the one decoder, with its checks) and cut by
``models/windowing.Windowing`` at a chosen hop; only one block plus one batch of windows is held at a time.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from envsound.audio import FRAME_SECONDS, LevelTrack, fix_length, probe, stream_audio
from envsound.defaults import MAX_WINDOW_SECONDS, TIMELINE_HOP, TIMELINE_THRESHOLD, TIMELINE_WINDOW
from envsound.errors import ConfigError
from envsound.inference.event_rules import EventRules
from envsound.inference.predict import Predictor
from envsound.models.calibration import Calibration
from envsound.models.decision import BACKGROUND, UNKNOWN, Decisions, decide
from envsound.models.windowing import Windowing
from envsound.utils import GrowingRows, table_format

# Event boundaries from the level above the recording's own noise floor (benchmarks/sed.py, declared there):
EVENT_FLOOR_PERCENTILE = 10.0  # the floor: this percentile of the recording's 20-ms frame levels
EVENT_ABOVE_FLOOR_DB = 10.0  # a frame is active this far above it
BAND_ABOVE_FLOOR_DB = 12.0  # ... or (edges="bands") when one of its band levels is this far above that band's floor
GROW_GAP_SECONDS = 0.1  # events(grow=...): an edge moves outward across inactive stretches this short
MIN_EVENT_SECONDS = 0.25  # shorter events are dropped after their boundaries move
EMPHASIS = 0.97  # levels are measured on x[n] - 0.97 x[n-1], so brown noise's slow swings are not events
MIN_FLOOR_SECONDS = 1.0  # less background than this leaves no floor to measure (sounds back to back): see EventRules.floor


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
    probabilities: np.ndarray  # (n_windows, n_classes), the network's own (calibration is applied per cell, by decide)
    classes: tuple[str, ...]
    duration: float
    overview: np.ndarray | None = None  # (n_mels, n_windows·k) coarse spectrogram for plotting
    calibration: Calibration | None = None  # the model's temperature and "unknown" thresholds
    abstain: bool = True  # False (--no-abstain): every labelled cell names its top class
    distances: np.ndarray | None = None  # (n_windows,) embedding distance to the nearest class (models with novelty)
    exposures: np.ndarray | None = None  # (n_windows,) exposure-relative scores (models calibrated with an exposure set)
    background: np.ndarray | None = None  # (n_windows,) background detector scores (models with one)
    background_above: float | None = None  # cells whose mean background score reaches this are "background"
    levels: np.ndarray | None = None  # 20-ms frame levels in dBFS (audio.LevelTrack), for event boundaries
    band_levels: np.ndarray | None = None  # (frames, bands) of the same frames (audio.band_levels), for edges="bands"
    background_cells: str = "min"  # a cell is background when every window over it is ("min"), or by their mean ("mean")
    reanswer: Callable[..., list[Segment]] | None = None  # events answered again from their audio: ``as_clips``'s (events, threshold, longest, keep)
    clip_seconds: float | None = None  # the model's clip length: touching parts are answered as one clip only up to it (``events(whole=)``)

    def frame_probabilities(self) -> np.ndarray:
        """(n_cells, n_classes): each hop-long cell gets the mean of every window covering it."""
        return self._cells()[1]["probabilities"]

    def _cells(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(indices of the hop-long cells some window covers, each per-window array averaged over
        the windows covering a cell); a stream whose scorer skipped ahead (``listen``) leaves
        cells no window covers, which are dropped."""
        per_window = max(1, round(self.window_seconds / self.hop_seconds))
        last = round(float(self.starts.max()) / self.hop_seconds) if len(self.starts) else 0
        n_cells = max(last + per_window, int(np.ceil(self.duration / self.hop_seconds - 1e-9)))
        arrays = {"probabilities": self.probabilities, "distances": self.distances, "exposures": self.exposures, "background": self.background}
        arrays = {k: np.asarray(v, dtype=np.float64).reshape(len(self.starts), -1) for k, v in arrays.items() if v is not None}
        totals = {k: np.zeros((n_cells, v.shape[1])) for k, v in arrays.items()}
        count = np.zeros(n_cells)
        for i, start in enumerate(self.starts):
            first = round(start / self.hop_seconds)
            for k, v in arrays.items():
                totals[k][first : first + per_window] += v[i]
            count[first : first + per_window] += 1
        used = count > 0
        means = {k: v[used] / count[used, None] for k, v in totals.items()}
        if self.background is not None and self.background_cells == "min":
            lowest = np.full(n_cells, np.inf)
            for i, start in enumerate(self.starts):
                first = round(start / self.hop_seconds)
                lowest[first : first + per_window] = np.minimum(lowest[first : first + per_window], arrays["background"][i, 0])
            means["background"] = lowest[used, None]
        return np.flatnonzero(used), {k: (v if k == "probabilities" else v[:, 0]) for k, v in means.items()}

    def decisions(self) -> tuple[np.ndarray, Decisions]:
        """(cell indices, each cell's outcome by the one decision rule)."""
        indices, cells = self._cells()
        return indices, decide(cells["probabilities"], self.calibration, self.abstain, cells.get("distances"), cells.get("exposures"),
                               cells.get("background"), self.background_above)

    def segments(self, threshold: float = TIMELINE_THRESHOLD) -> list[Segment]:
        """Label each hop-long cell by its averaged scores (a class, "unknown" or "background");
        cells under ``threshold`` stay unlabelled; equal neighbours merge."""
        check_threshold(threshold)
        indices, decided = self.decisions()
        answers = decided.answers(self.classes)
        background_scores = self._cells()[1].get("background")
        out: list[Segment] = []
        for j, k in enumerate(indices.tolist()):
            lo, hi = k * self.hop_seconds, min(self.duration, (k + 1) * self.hop_seconds)
            if lo >= self.duration:
                continue
            name = answers[j]
            p = float(background_scores[j]) if name == BACKGROUND and background_scores is not None else float(decided.probabilities[j].max())
            if name != BACKGROUND and p < threshold:
                continue
            if out and out[-1].label == name and abs(out[-1].end - lo) < 1e-6:
                prev = out[-1]
                n = round((prev.end - prev.start) / self.hop_seconds) or 1
                prev.confidence = (prev.confidence * n + p) / (n + 1)
                prev.end = hi
            else:
                out.append(Segment(name, lo, hi, p))
        return out

    def events(self, threshold: float = TIMELINE_THRESHOLD, rules: EventRules | None = None, **changes: object) -> list[Segment]:
        """Sound events with background between them, made by ``rules`` (``EventRules``; default:
        the kept arm) with ``changes`` to them by name (``events(grow=0.0)``); a model with no
        background detector gives its ``segments``. Events under ``threshold`` are not labelled."""
        r = replace(rules or EventRules(), **changes)
        if self.background_above is None:
            return self.segments(threshold)
        check_threshold(threshold)
        found = self._pooled(threshold, r.split, r.inside, r.nearest, r.absorb, r.floor) if r.pooled else self._joined(threshold)
        active = self._edge_activity(r.floor, r.edges) if self.levels is not None and len(self.levels) else None
        if active is not None:  # no floor to measure a level against: the cells' edges stand
            found = self._to_levels(found, active, r.reach, 0.0 if r.grow_after else r.grow)
            runs = list(found)
            if r.gap > 0:
                found = self._cut_at_pauses(found, active, r.gap, r.keep_short)
        if r.clips and self.reanswer is not None:
            found = self._reanswered(found, threshold, r.whole, r.longest)
            if r.reabsorb or r.whole:
                found = absorbed(found)
        if r.gap > 0 and r.rejoin and active is not None:
            found = rejoined(found, runs)
        if r.grow_after and active is not None:
            found = self._grown_events(found, active, r.grow)
        if r.join > 0:
            found = joined(found, r.join)
        if r.final and self.reanswer is not None:
            found = [s for s in self.reanswer(found, threshold, r.longest, False) if s.label != BACKGROUND]
        return self._with_background(found)

    def _reanswered(self, found: list[Segment], threshold: float, whole: bool, longest: float | None = None) -> list[Segment]:
        """``found`` answered again from its audio (``reanswer``); with ``whole``, each group of
        two or more touching parts (one run of sound cut where its class changed) is also answered
        as one clip, and a class in that answer makes the group one event: a steady sound whose
        windows drift between neighbouring classes is still one sound."""
        groups: list[list[int]] = []
        for i, seg in enumerate(found):
            if groups and abs(found[groups[-1][-1]].end - seg.start) < 1e-6:
                groups[-1].append(i)
            else:
                groups.append([i])
        groups = [g for g in groups if len(g) > 1] if whole else []
        if self.clip_seconds is not None:  # a group is answered as one clip only when it fits in one (``longest`` is for single events)
            groups = [g for g in groups if found[g[-1]].end - found[g[0]].start <= self.clip_seconds + 1e-9]
        unions = [Segment(UNKNOWN, found[g[0]].start, found[g[-1]].end, -1.0) for g in groups]  # -1: not answered again
        answered = self.reanswer([*found, *unions], threshold, longest)
        parts, wholes = answered[: len(found)], answered[len(found) :]
        out: list[Segment] = []
        first_of = {g[0]: (g, one) for g, one in zip(groups, wholes) if one.label != UNKNOWN and one.confidence >= 0}
        skip = -1
        for i, seg in enumerate(parts):
            if i <= skip:
                continue
            if i in first_of:
                group, one = first_of[i]
                out.append(one)
                skip = group[-1]
                continue
            out.append(seg)
        return out

    def _joined(self, threshold: float) -> list[Segment]:
        merged: list[Segment] = []
        for seg in (s for s in self.segments(threshold) if s.label != BACKGROUND):
            prev = merged[-1] if merged else None
            if prev is not None and abs(prev.end - seg.start) < 1e-6 and UNKNOWN in (prev.label, seg.label) and prev.label != seg.label:
                keep = seg.label if prev.label == UNKNOWN else prev.label
                merged[-1] = Segment(keep, prev.start, seg.end, prev.confidence if keep == prev.label else seg.confidence)
            else:
                merged.append(Segment(seg.label, seg.start, seg.end, seg.confidence))
        return merged

    def _pooled(self, threshold: float, split: bool, inside: bool = False, nearest: bool = False, absorb: bool = False,
                floor: str = "recording") -> list[Segment]:
        indices, cells = self._cells()
        active = self._active(floor) if inside else None
        quiet = self._quiet(cells)
        out: list[Segment] = []
        run: list[int] = []
        for j in [*range(len(indices)), -1]:
            if j >= 0 and not quiet[j] and (not run or indices[j] == indices[run[-1]] + 1):
                run.append(j)
                continue
            answered: list[Segment] = []
            for part in self._sustained(run, cells["probabilities"]) if split else ([run] if run else []):
                if active is not None:  # answer from the cells where the sound is, not the bed around it
                    lo, hi = indices[part[0]] * self.hop_seconds, (indices[part[-1]] + 1) * self.hop_seconds
                    a, b = int(lo / FRAME_SECONDS), int(math.ceil(hi / FRAME_SECONDS))
                    on = np.flatnonzero(active[a:b])
                    if len(on):
                        first, last = (a + on[0]) * FRAME_SECONDS, (a + on[-1] + 1) * FRAME_SECONDS
                        part = [c for c in part if indices[c] * self.hop_seconds < last and (indices[c] + 1) * self.hop_seconds > first] or part
                mean = {k: v[part].mean(axis=0, keepdims=True) for k, v in cells.items()}
                if nearest:  # the part is as known as its most typical cell
                    mean.update({k: cells[k][part].min(axis=0, keepdims=True) for k in ("distances", "exposures") if k in cells})
                decided = decide(mean["probabilities"], self.calibration, self.abstain, mean.get("distances"), mean.get("exposures"))
                p = float(decided.probabilities[0].max())
                lo, hi = indices[part[0]] * self.hop_seconds, min(self.duration, (indices[part[-1]] + 1) * self.hop_seconds)
                if p >= threshold and lo < self.duration:
                    answered.append(Segment(decided.answers(self.classes)[0], lo, hi, p))
            out.extend(absorbed(answered) if absorb else answered)
            run = [j] if j >= 0 and not quiet[j] else []
        return out

    def _sustained(self, run: list[int], probabilities: np.ndarray) -> list[list[int]]:
        """``run`` cut where the cells' top class changes and the new class lasts at least one
        window; a shorter stretch of another class joins its longer neighbour (one sound that
        ends looking like a neighbouring class stays one event; two sounds in a row stay two)."""
        if not run:
            return []
        top = probabilities[run].argmax(axis=1)
        parts = [[run[0]]]
        labels = [top[0]]
        for j, label in zip(run[1:], top[1:]):
            if label == labels[-1]:
                parts[-1].append(j)
            else:
                parts.append([j])
                labels.append(label)
        shortest = max(1, round(self.window_seconds / self.hop_seconds))
        while len(parts) > 1:
            k = min(range(len(parts)), key=lambda i: len(parts[i]))
            if len(parts[k]) >= shortest:
                break
            moved = parts.pop(k)
            labels.pop(k)
            if k == 0 or (k < len(parts) and len(parts[k]) > len(parts[k - 1])):
                parts[k][:0] = moved  # into the next part, the longer neighbour
            else:
                parts[k - 1].extend(moved)
            for i in range(len(parts) - 1, 0, -1):  # neighbours that now agree become one
                if labels[i] == labels[i - 1]:
                    parts[i - 1].extend(parts.pop(i))
                    labels.pop(i)
        return parts

    def _quiet(self, cells: dict[str, np.ndarray]) -> np.ndarray:
        """Per cell of ``_cells``: does the background detector call it background?"""
        return decide(cells["probabilities"], self.calibration, self.abstain, None, None, cells.get("background"), self.background_above).background

    def _active(self, floor: str = "recording", edges: str = "level") -> np.ndarray | None:
        """Per 20-ms frame: is the level ``EVENT_ABOVE_FLOOR_DB`` over the noise floor (``edges=
        "bands"``: is one band ``BAND_ABOVE_FLOOR_DB`` over its own floor)? None when there are no
        levels, or (``floor="background"``) too little background to measure a floor in."""
        values = self.band_levels if edges == "bands" and self.band_levels is not None and len(self.band_levels) else self.levels
        if values is None or not len(values):
            return None
        under = values
        if floor == "background":
            indices, cells = self._cells()
            frames = np.zeros(len(values), dtype=bool)
            for cell in indices[self._quiet(cells)]:
                frames[int(cell * self.hop_seconds / FRAME_SECONDS) : int(math.ceil((cell + 1) * self.hop_seconds / FRAME_SECONDS))] = True
            if frames.sum() * FRAME_SECONDS < MIN_FLOOR_SECONDS:
                return None
            under = values[frames]
        if values.ndim == 2:
            return (values >= np.percentile(under, EVENT_FLOOR_PERCENTILE, axis=0) + BAND_ABOVE_FLOOR_DB).any(axis=1)
        return values >= np.percentile(under, EVENT_FLOOR_PERCENTILE) + EVENT_ABOVE_FLOOR_DB

    def _edge_activity(self, floor: str, edges: str) -> np.ndarray | None:
        """Per 20-ms frame: is the sound there, by the measure ``edges`` names (see ``events``)?"""
        if edges == "bed_bands":
            active = self._active("background", "bands")
            if active is None or self.band_levels is None:  # too little background to know the bed's bands by
                active = self._active(floor, "level")
            return active
        return self._active(floor, edges)

    def _grown_events(self, events: list[Segment], active: np.ndarray, grow: float) -> list[Segment]:
        """Answered ``events`` with their outer edges moved outward over ``active`` frames as
        ``_to_levels(grow=)`` moves them; labels, answers and which events exist stay as they were."""
        if grow <= 0:
            return events
        limit = int(round(grow / FRAME_SECONDS))
        out: list[Segment] = []
        for i, seg in enumerate(events):
            first, last = int(round(seg.start / FRAME_SECONDS)), int(round(seg.end / FRAME_SECONDS))
            if not (i > 0 and abs(events[i - 1].end - seg.start) < 1e-6):
                floor_frame = int(math.ceil(out[-1].end / FRAME_SECONDS)) if out else 0
                first = self._grown(active, first, -1, max(0, first - limit, floor_frame))
            if not (i + 1 < len(events) and abs(events[i + 1].start - seg.end) < 1e-6):
                nxt = int(events[i + 1].start / FRAME_SECONDS) if i + 1 < len(events) else len(active)
                last = self._grown(active, last, 1, min(len(active), last + limit, nxt))
            out.append(Segment(seg.label, min(seg.start, first * FRAME_SECONDS), max(seg.end, min(self.duration, last * FRAME_SECONDS)), seg.confidence))
        return out

    def _to_levels(self, events: list[Segment], active: np.ndarray, reach: float, grow: float = 0.0) -> list[Segment]:
        """``events`` with their outer edges moved to the first and last ``active`` frame (see ``events``)."""
        out: list[Segment] = []
        for i, seg in enumerate(events):
            touches_prev = i > 0 and abs(events[i - 1].end - seg.start) < 1e-6
            touches_next = i + 1 < len(events) and abs(events[i + 1].start - seg.end) < 1e-6
            lo = seg.start if touches_prev else max(seg.start - reach, out[-1].end if out else 0.0)
            hi = seg.end if touches_next else min(seg.end + reach, events[i + 1].start if i + 1 < len(events) else self.duration)
            a, b = int(lo / FRAME_SECONDS), int(math.ceil(hi / FRAME_SECONDS))
            found = np.flatnonzero(active[a:b])
            if not len(found):
                continue
            first, last = a + int(found[0]), a + int(found[-1]) + 1  # frames: the first active one, one past the last
            if grow > 0:  # outward through the sound's own frames, never into a neighbour
                limit = int(round(grow / FRAME_SECONDS))
                if not touches_prev:
                    first = self._grown(active, first, -1, max(0, a - limit, int(math.ceil(out[-1].end / FRAME_SECONDS)) if out else 0))
                if not touches_next:
                    nxt = int(events[i + 1].start / FRAME_SECONDS) if i + 1 < len(events) else len(active)
                    last = self._grown(active, last, 1, min(len(active), b + limit, nxt))
            start = seg.start if touches_prev else first * FRAME_SECONDS
            end = seg.end if touches_next else min(self.duration, last * FRAME_SECONDS)
            if end - start >= MIN_EVENT_SECONDS:
                out.append(Segment(seg.label, start, end, seg.confidence))
        return out

    @staticmethod
    def _cut_at_pauses(events: list[Segment], active: np.ndarray, gap: float, keep_short: bool = False) -> list[Segment]:
        """Each of ``events`` cut where its ``active`` frames leave at least ``gap`` seconds of bed:
        a cell is background only when every window over it is, so the cells cannot see a pause
        shorter than a window and a half; the levels can. Pieces under ``MIN_EVENT_SECONDS`` go;
        with ``keep_short``, such a piece stays joined to its nearer neighbour instead (no cut
        leaves a piece too short to be an event: knocks or clicks a second apart stay one event)."""
        out: list[Segment] = []
        for seg in events:
            a = int(round(seg.start / FRAME_SECONDS))
            on = a + np.flatnonzero(active[a : int(math.ceil(seg.end / FRAME_SECONDS))])
            breaks = np.flatnonzero(np.diff(on) * FRAME_SECONDS > gap + 1e-9) if len(on) > 1 else []
            edges = [seg.start, *[x for k in breaks for x in ((on[k] + 1) * FRAME_SECONDS, on[k + 1] * FRAME_SECONDS)], seg.end]
            pieces = [[lo, hi] for lo, hi in zip(edges[::2], edges[1::2])]
            while keep_short and len(pieces) > 1:
                short = [j for j, (lo, hi) in enumerate(pieces) if hi - lo < MIN_EVENT_SECONDS]
                if not short:
                    break
                j = short[0]
                before = pieces[j][0] - pieces[j - 1][1] if j > 0 else math.inf
                after = pieces[j + 1][0] - pieces[j][1] if j + 1 < len(pieces) else math.inf
                k = j - 1 if before <= after else j + 1  # the nearer neighbour
                pieces[min(j, k)] = [pieces[min(j, k)][0], pieces[max(j, k)][1]]
                del pieces[max(j, k)]
            out.extend(Segment(seg.label, lo, hi, seg.confidence) for lo, hi in pieces if hi - lo >= MIN_EVENT_SECONDS)
        return out

    @staticmethod
    def _grown(active: np.ndarray, edge: int, step: int, limit: int) -> int:
        """``edge`` (a first frame for ``step`` -1, one past a last frame for +1) moved outward
        over active frames, across gaps of at most ``GROW_GAP_SECONDS``, not past ``limit``."""
        gap = int(round(GROW_GAP_SECONDS / FRAME_SECONDS))
        j, missed = (edge - 1, 0) if step < 0 else (edge, 0)
        while (j >= limit if step < 0 else j < limit) and missed <= gap:
            if active[j]:
                edge, missed = (j if step < 0 else j + 1), 0
            else:
                missed += 1
            j += step
        return edge

    def _with_background(self, events: list[Segment]) -> list[Segment]:
        """``events`` with background segments in the gaps, each with its cells' mean background score."""
        indices, cells = self._cells()
        scores = cells.get("background")
        out: list[Segment] = []
        edge = 0.0
        for seg in [*events, Segment(BACKGROUND, self.duration, self.duration, 0.0)]:
            if seg.start - edge > 1e-6:
                inside = (indices * self.hop_seconds < seg.start) & ((indices + 1) * self.hop_seconds > edge)
                confidence = float(scores[inside].mean()) if scores is not None and inside.any() else 0.0
                out.append(Segment(BACKGROUND, edge, seg.start, confidence))
            if seg.end > seg.start:
                out.append(seg)
            edge = max(edge, seg.end)
        return out


def as_clips(predictor: Predictor, events: list[Segment], blocks: Iterable[np.ndarray], threshold: float = TIMELINE_THRESHOLD,
             starts: Iterable[int] | None = None, longest: float | None = None, keep: bool = True) -> list[Segment]:
    """``events`` with each one no longer than ``longest`` seconds (None: the model's clip)
    answered again as ``predict`` answers it cut out of the recording: its samples alone,
    zero-padded to one clip (longer: the model's own windows over it, their scores averaged),
    through the model and the decision rule. The model learnt from whole clips; a timeline's cells are shorter
    windows, whose scores and novelty distance are not a clip's. An answer of background (the
    padding is most of such a clip) or one under ``threshold`` keeps the event's answer so far
    (``keep=False``: makes it background), and longer events keep theirs. One pass over ``blocks`` (the recording at the model's rate; events may overlap: each gathers its own audio);
    an event's audio is scored when its end has passed, a batch at a time (one longer than a clip
    at once), so memory holds a batch of clips and at most ``longest`` seconds more, not the
    recording. ``starts``: each block's first sample in the recording,
    when the blocks are pieces with gaps between them (``listen`` keeps only the audio of sound);
    an event with a gap in its audio keeps its cells' answer. None: the blocks follow one another
    from sample 0."""
    rate, clip = predictor.extractor.sample_rate, predictor.window_samples
    most = clip if longest is None else max(clip, round(longest * rate))
    spans = {i: (round(s.start * rate), round(s.end * rate)) for i, s in enumerate(events) if s.label != BACKGROUND and 0 < (s.end - s.start) * rate <= most}
    pending = sorted(spans, key=lambda i: spans[i][0])
    pieces: dict[int, list[np.ndarray]] = {}
    reached = {i: spans[i][0] for i in spans}  # the next sample each event's audio needs; -1: a gap, so no second answer
    done: list[int] = []
    answers: dict[int, Segment] = {}
    batch = predictor.batch_windows()

    def score(indices: list[int]) -> None:
        indices = [i for i in indices if reached[i] > spans[i][0]]  # some audio, and no gap in it
        if not indices:
            return
        audio = {i: np.concatenate(pieces.pop(i)) if pieces.get(i) else np.zeros(0, np.float32) for i in indices}
        short = [i for i in indices if len(audio[i]) <= clip]
        longer = [i for i in indices if len(audio[i]) > clip]
        scored = [predictor.window_scores(np.stack([fix_length(audio[i], clip) for i in short]))] if short else []
        scored += [mean_window_scores(predictor, audio[i], batch) for i in longer]
        probs = np.concatenate([p for p, _ in scored])
        embeddings = None if scored[0][1] is None else np.concatenate([e for _, e in scored])
        indices = [*short, *longer]
        decided = predictor.decide(probs, embeddings)
        for k, (i, name) in enumerate(zip(indices, decided.answers(predictor.classes))):
            p = float(decided.probabilities[k].max())
            if name != BACKGROUND and p >= threshold:
                answers[i] = Segment(name, events[i].start, events[i].end, p)
            elif not keep:
                answers[i] = Segment(BACKGROUND, events[i].start, events[i].end, p)

    position = 0
    for block, first in zip(blocks, starts if starts is not None else itertools.repeat(None)):
        position = position if first is None else int(first)
        end = position + len(block)
        for i in pending:
            a, b = spans[i]
            if a >= end:
                break
            if b > position:
                if reached[i] != max(a, position):
                    reached[i] = -1
                    pieces.pop(i, None)  # a gap: what it had is of no use
                if reached[i] >= 0:
                    piece = np.asarray(block[max(a - position, 0) : b - position], dtype=np.float32)
                    pieces.setdefault(i, []).append(piece)
                    reached[i] += len(piece)
        while pending and spans[pending[0]][1] <= end:
            done.append(pending.pop(0))
        longer = [i for i in done if spans[i][1] - spans[i][0] > clip]
        if longer:  # scored at once: a batch holds at most ``batch`` clips' audio and one longer event's
            score(longer)
            done = [i for i in done if i not in longer]
        if len(done) >= batch:
            score(done[:batch])
            done = done[batch:]
        position = end
    done += pending
    for k in range(0, len(done), batch):
        score(done[k : k + batch])
    return [answers.get(i, seg) for i, seg in enumerate(events)]


def mean_window_scores(predictor: Predictor, audio: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(1, classes) probabilities and (1, dim) embedding (or None) of audio longer than a clip, as
    ``predict`` scores a file: the model's windows over it (``Predictor.windowing``), averaged."""
    total, embedded, count = 0.0, 0.0, 0
    for _, windows in predictor.windowing.batches([audio], batch):
        probs, embeddings = predictor.window_scores(windows)
        total, count = total + probs.sum(axis=0), count + len(probs)
        embedded = None if embeddings is None else embedded + embeddings.sum(axis=0)
    return (total / count)[None], None if embedded is None else (embedded / count)[None]


def rejoined(events: list[Segment], runs: list[Segment]) -> list[Segment]:
    """Neighbouring pieces of one of ``runs`` (an event before ``_cut_at_pauses``) made one again
    when they name one class or one of them is "unknown": one sound with a pause in it. Pieces
    that name two classes stay two sounds."""
    out: list[Segment] = []
    for seg in events:
        prev = out[-1] if out else None
        one_run = prev is not None and any(r.start - 1e-6 <= prev.start and seg.end <= r.end + 1e-6 for r in runs)
        if one_run and (prev.label == seg.label or UNKNOWN in (prev.label, seg.label)):
            if prev.label == seg.label:
                a, b = prev.end - prev.start, seg.end - seg.start
                confidence = (prev.confidence * a + seg.confidence * b) / max(a + b, 1e-9)
            else:
                confidence = seg.confidence if prev.label == UNKNOWN else prev.confidence
            out[-1] = Segment(seg.label if prev.label == UNKNOWN else prev.label, prev.start, seg.end, confidence)
        else:
            out.append(seg)
    return out


def absorbed(parts: list[Segment]) -> list[Segment]:
    """Touching parts of one run of sound with each "unknown" part joined to the known part before
    it (else the one after it), and neighbours of one class joined: one sound whose tail or onset
    looks like nothing known stays one event of its class, while two known sounds in a row stay two."""
    out: list[Segment] = []
    for seg in parts:
        prev = out[-1] if out else None
        if prev is not None and abs(prev.end - seg.start) < 1e-6:
            if seg.label == prev.label or (seg.label == UNKNOWN and prev.label != BACKGROUND):
                same = seg.label == prev.label
                a, b = prev.end - prev.start, seg.end - seg.start
                out[-1] = Segment(prev.label, prev.start, seg.end, (prev.confidence * a + seg.confidence * b) / (a + b) if same else prev.confidence)
                continue
            if prev.label == UNKNOWN and seg.label != BACKGROUND:
                out[-1] = Segment(seg.label, prev.start, seg.end, seg.confidence)
                continue
        out.append(Segment(seg.label, seg.start, seg.end, seg.confidence))
    return out


def joined(events: list[Segment], gap: float) -> list[Segment]:
    """``events`` (in time order, not overlapping) with neighbours of one class at most ``gap``
    seconds apart made one event over both and what lies between: a sound with a pause in it
    (a dog barking twice, a saw between strokes) is one event, and two halves of one sound that
    the second answer (``as_clips``) gave the same class join again. Unknown and background
    never join."""
    out: list[Segment] = []
    for seg in events:
        prev = out[-1] if out else None
        if prev is not None and seg.label == prev.label and seg.label not in (UNKNOWN, BACKGROUND) and seg.start - prev.end <= gap:
            a, b = prev.end - prev.start, seg.end - seg.start
            out[-1] = Segment(prev.label, prev.start, max(prev.end, seg.end), (prev.confidence * a + seg.confidence * b) / max(a + b, 1e-9))
            continue
        out.append(Segment(seg.label, seg.start, seg.end, seg.confidence))
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
    scored = ScoredWindows(predictor)
    columns: list[np.ndarray] = []
    if signal is not None:
        blocks, duration, name = [signal], len(signal) / rate, str(path or "<array>")
    elif path is not None:
        info = probe(path)
        blocks, duration, name = stream_audio(path, rate, info=info), info.duration, str(path)
    else:
        raise ConfigError("compute_timeline needs a path or a signal")
    track = LevelTrack(rate, EMPHASIS, bands=True)
    for first, waves in Windowing(window, hop, tail="pad").batches(track.watch(blocks), batch_size):
        features = predictor.features(waves)
        probabilities, embedding = predictor.feature_scores(features)
        scored.add(first, probabilities, predictor.evidence(embedding) if embedding is not None else (None, None, None))  # scores only: flat in length
        if overview:  # the first hop of each window, pooled 4x in time: a coarse spectrogram
            frames = max(1, int(features.shape[-1] * hop / window))
            head = features[:, 0, :, :frames]
            columns.extend(head[..., : frames // 4 * 4].reshape(*head.shape[:2], -1, 4).mean(-1) if frames >= 4 else head)
    image = np.concatenate(columns, axis=1) if columns else None
    timeline = scored.timeline(name, window / rate, hop / rate, duration, image)
    timeline.levels, timeline.band_levels = track.levels, track.band_levels
    again = (lambda: [signal]) if signal is not None else (lambda: stream_audio(path, rate, info=info))
    timeline.reanswer = lambda events, threshold, longest, keep=True: as_clips(predictor, events, again(), threshold, longest=longest, keep=keep)
    timeline.clip_seconds = predictor.extractor.clip_seconds
    return timeline


class ScoredWindows:
    """Each scored window's first sample, the network's own probabilities and its evidence (novelty
    distance, exposure, background score; NaN where the model has none), gathered as a recording or
    a stream goes by, for ``timeline`` and ``listen`` alike. One chunked table: small arrays kept a
    window or a batch apart fragmented the heap, and peak memory grew 10-12 MB a minute."""

    def __init__(self, predictor: Predictor) -> None:
        self.predictor = predictor
        self.n_classes = len(predictor.classes)
        self.rows = GrowingRows(1 + self.n_classes + 3)
        self.measured = [False, False, False]  # which evidence scores the model gives

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, first: np.ndarray, probabilities: np.ndarray, evidence: tuple[np.ndarray | None, ...]) -> None:
        """Windows starting at samples ``first`` (n,), their probabilities (n, classes) and evidence."""
        first = np.atleast_1d(first)
        self.measured = [e is not None for e in evidence]
        self.rows.extend(np.column_stack([first, np.atleast_2d(probabilities), *[np.full(len(first), np.nan) if e is None else np.ravel(e) for e in evidence]]))

    def timeline(self, name: str, window_seconds: float, hop_seconds: float, duration: float, overview: np.ndarray | None = None) -> "Timeline":
        table, n = self.rows.array(), self.n_classes
        evidence = [tuple(table[:, 1 + n + k] if self.measured[k] else None for k in range(3))]
        rate = self.predictor.extractor.sample_rate
        return timeline_of(self.predictor, name, window_seconds, hop_seconds, table[:, 0] / rate, table[:, 1 : 1 + n], duration, evidence, overview)


def timeline_of(predictor: Predictor, name: str, window_seconds: float, hop_seconds: float, starts: np.ndarray, probabilities: np.ndarray,
                duration: float, evidence: list[tuple[np.ndarray | None, ...]] | None = None, overview: np.ndarray | None = None) -> Timeline:
    """A Timeline of scored windows with the model's evidence per window (``Predictor.evidence``
    of each batch: novelty distance, exposure score, background score): what timeline and listen share."""
    joined = [None if not evidence or any(e[k] is None for e in evidence) else np.concatenate([np.atleast_1d(e[k]) for e in evidence]) for k in range(3)]
    distances, exposures, background = (j if j is not None and len(j) == len(starts) else None for j in joined)
    return Timeline(name, window_seconds, hop_seconds, starts, probabilities, predictor.classes, duration, overview,
                    calibration=predictor.calibration, abstain=predictor.abstain, distances=distances, exposures=exposures, background=background,
                    background_above=predictor.background.threshold if predictor.background is not None else None)


SEGMENT_FORMATS = ("csv", "json", "audacity", "raven")


def segments_format(path: str | Path, fmt: str | None = None) -> str:
    """The format segments are written in: ``fmt`` when given (audacity and raven write .txt),
    else csv or json by the suffix; checked before any scoring."""
    if fmt is None:
        return table_format(path)
    if fmt not in SEGMENT_FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(SEGMENT_FORMATS)}, got {fmt!r}")
    table_format(path, ("txt", "tsv") if fmt in ("audacity", "raven") else (fmt,))
    return fmt


def write_segments(segments: list[Segment], path: str | Path, fmt: str | None = None) -> Path:
    """Segments as csv or json (label, start, end, confidence), an Audacity label track (start,
    end, label: File > Import > Labels), or a Raven selection table, written atomically. Text
    cells are made spreadsheet-safe in CSV."""
    import json

    from envsound.utils import SafeCsvWriter, atomic_path

    path = Path(path)
    kind = segments_format(path, fmt)
    with atomic_path(path) as tmp:
        if kind == "json":
            tmp.write_text(json.dumps([s.to_dict() for s in segments], indent=2, allow_nan=False) + "\n")
            return path
        with open(tmp, "w", newline="") as handle:
            if kind == "audacity":
                for s in segments:
                    if s.label != BACKGROUND:  # a label track marks what is there; background is the gaps
                        handle.write(f"{s.start:.6f}\t{s.end:.6f}\t{_one_line(s.label)}\n")
            elif kind == "raven":
                handle.write("Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\tConfidence\n")
                events = [s for s in segments if s.label != BACKGROUND]
                for i, s in enumerate(events, start=1):
                    handle.write(f"{i}\tSpectrogram 1\t1\t{s.start:.6f}\t{s.end:.6f}\t0\t0\t{_one_line(s.label)}\t{s.confidence:.4f}\n")
            else:
                writer = SafeCsvWriter(handle)
                writer.writerow(["label", "start", "end", "confidence"])
                for s in segments:
                    d = s.to_dict()
                    writer.writerow([d["label"], d["start"], d["end"], d["confidence"]])
    return path


def _one_line(text: str) -> str:
    """A label as one field of a tab-separated line (a model's class names are its author's)."""
    return " ".join(str(text).replace("\t", " ").splitlines())
