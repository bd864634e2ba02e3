"""Top-k labels for audio files of any rate, channel count and length."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from envsound.audio import (
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    load_audio,
    pcm_as_float,
    probe,
    resample,
    shifted_copies,
    stream_audio,
    to_mono,
)
from envsound.defaults import MAX_TTA
from envsound.errors import AudioError, ConfigError
from envsound.features.band import band_limit
from envsound.features.gate import gate_quiet_frames
from envsound.models.background import BackgroundDetector
from envsound.models.calibration import Calibration, Novelty
from envsound.models.decision import BACKGROUND, UNKNOWN, Decisions, decide
from envsound.models.windowing import Windowing

if TYPE_CHECKING:  # torch and model files are imported where a torch model is used: the ONNX path never needs them
    import torch

    from envsound.models.model_file import LoadedModel


@dataclass
class Prediction:
    file: str
    labels: list[str]
    probabilities: list[float]
    error: str | None = None
    warning: str | None = None
    abstained: bool = False  # the top probability is under the model's abstention threshold
    calibrated: bool = False  # probabilities are temperature-scaled (the model file carries a calibration)
    novelty: float | None = None  # embedding distance to the nearest known class (large: none of these)
    background: bool = False  # no event: hiss, room tone, hum or silence (the model's background detector)

    @property
    def answer(self) -> str:
        """The label a user should read: the top one, "unknown" when the model abstained, or
        "background" when it heard no event."""
        return BACKGROUND if self.background else UNKNOWN if self.abstained else self.labels[0]

    def to_dict(self) -> dict:
        if self.error:
            return {"file": self.file, "error": self.error}
        out = {"file": self.file, "label": self.answer, "top": [{"label": label, "probability": round(p, 4)} for label, p in zip(self.labels, self.probabilities)]}
        if self.abstained:
            out["abstained"] = True
        if self.abstained or self.background:
            out["closest"] = self.labels[0]
        if self.background:
            out["background"] = True
        if self.calibrated:
            out["calibrated"] = True
        if self.novelty is not None:
            out["novelty"] = round(self.novelty, 1)
        if self.warning:
            out["warning"] = self.warning
        return out


SILENCE_PEAK = 1e-4  # below -80 dBFS nothing is audible; the label would be noise
# Windows per model call. Peak memory grows with it (a 60-min recording: 448 MB at 8, 682 MB at 32)
# and on this CPU 4-16 are also faster than 32 (about 110 vs 64 files/s), so small it is.
BATCH_WINDOWS = 8
# Audio per model call when not told: batches are sized in seconds, not windows, so 2-s timeline
# windows get 20 to a call where 5-s clips get 8. The fastest here (benchmarks/results/throughput.json):
BATCH_SECONDS = 40.0  # torch: 8 five-second windows
ONNX_WAVEFORM_BATCH_SECONDS = 5.0  # an exported waveform-in graph: one window at a time (158 vs 128 files/s at 8)
WHOLE_FILE_SECONDS = 60.0  # files up to this long are decoded whole in worker threads; longer ones stream


def input_warning(peak: float, seconds: float, window_seconds: float) -> str | None:
    if peak < SILENCE_PEAK:
        return "input is silent; the labels are not meaningful"
    if seconds < 0.1 * window_seconds:
        return f"input is only {seconds:.2f} s (model window {window_seconds:g} s); it was zero-padded"
    return None


class _FileScore:
    """One file's running mean of window probabilities plus what its warning needs: the only state
    kept per file, so a recording of any length costs the same memory."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self.total: np.ndarray | None = None
        self.windows = 0
        self.peak = 0.0
        self.samples = 0
        self.error: str | None = None
        self.embedding: np.ndarray | None = None  # summed window embeddings, when the model scores novelty

    def watch(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for block in blocks:
            self.peak = max(self.peak, float(np.abs(block).max(initial=0.0)))
            self.samples += len(block)
            yield block

    def add(self, probs: np.ndarray, embeddings: np.ndarray | None = None) -> None:
        summed = probs.sum(axis=0)
        self.total = summed if self.total is None else self.total + summed
        self.windows += len(probs)
        if embeddings is not None:
            summed = embeddings.sum(axis=0)
            self.embedding = summed if self.embedding is None else self.embedding + summed

    def mean(self) -> np.ndarray:
        assert self.total is not None
        return self.total / self.windows


T = TypeVar("T")
R = TypeVar("R")
Scorer = Callable[[np.ndarray], np.ndarray]  # features (n, ...) -> probabilities (n, classes)


EmbeddingScorer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # features -> (probabilities, embeddings)


def embedding_scorer(loaded: LoadedModel, device: torch.device | str = "cpu") -> EmbeddingScorer | None:
    """Probabilities and the embedding novelty and background are measured on, in one pass; None
    when the model carries neither. A probe's features are that embedding already."""
    import torch

    if loaded.novelty is None and loaded.background is None:
        return None
    if loaded.spec.kind != "network":
        return lambda features: (loaded.model.predict_proba(features), features)
    model = loaded.scoring_network(device)
    if not hasattr(model, "forward_with_embedding"):
        return None

    def score(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            logits, embedding = model.forward_with_embedding(torch.from_numpy(features).to(device))
            return logits.softmax(dim=1).float().cpu().numpy(), embedding.float().cpu().numpy()

    return score


def torch_scorer(loaded: LoadedModel, device: torch.device | str = "cpu") -> Scorer:
    """Front-end features (NumPy, on the CPU) -> class probabilities; a network runs on ``device``."""
    import torch

    if loaded.spec.kind != "network":
        return loaded.model.predict_proba
    model = loaded.scoring_network(device)

    def score(features: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(features).to(device)).softmax(dim=1).float().cpu().numpy()

    return score


class Predictor:
    """Classifies clips with a front end and a scorer (torch or onnxruntime); long recordings are
    averaged over half-overlapping windows."""

    def __init__(self, extractor: Any, score: Scorer, classes: tuple[str, ...], loaded: LoadedModel | None = None, device: torch.device | str = "cpu",
                 calibration: Calibration | None = None, abstain: bool = True, tta: int = 0, gate: bool = False,
                 band_hz: float | None = None) -> None:
        if not 0 <= tta <= MAX_TTA:
            raise ConfigError(f"--tta must be from 0 to {MAX_TTA}, got {tta}")
        self.extractor = extractor
        self.tta = tta  # test-time augmentation: this many circularly shifted copies of each window, averaged
        # Input treatments measured by benchmarks/noise_floor.py and kept off (neither helped outside ESC-50; docs/trust.md):
        self.gate = gate  # each window's noise floor set to zeros before the front end (features/gate.py)
        self.band_hz = band_hz  # input low-passed to this band before the front end (features/band.py); None: the full band
        self.score = score
        self.classes = tuple(classes)
        self.loaded = loaded  # the torch model, when there is one (AudioSet tags need it)
        self.device = device  # a torch.device for a torch model; unused by onnxruntime
        self.calibration = calibration if calibration is not None else (loaded.calibration if loaded is not None else None)
        self.abstain = abstain  # False: always answer with the top label (--no-abstain)
        self.novelty = loaded.novelty if loaded is not None else None
        self.background: BackgroundDetector | None = loaded.background if loaded is not None else None
        self.batch_seconds = BATCH_SECONDS  # audio per model call when not told (predict, timeline)
        self.score_with_embedding = embedding_scorer(loaded, self.device) if loaded is not None else None
        if self.score_with_embedding is None:
            self.novelty = self.background = None

    @classmethod
    def from_file(cls, path: str | Path | None = None, backend: str = "torch", device: str | None = None, abstain: bool = True, tta: int = 0,
                  gate: bool = False, band_hz: float | None = None) -> "Predictor":
        """An envsound model file (torch), or an exported ``.onnx`` with its ``.onnx.json``;
        ``None`` is the shipped ESC-50 model, so ``Predictor.from_file().predict_file(f)`` just works;
        ``"fast"`` is the shipped one-network model (``inference/shipped.py``).
        ``device``: where a torch network runs (default: the GPU if torch sees one, else the CPU).
        ``abstain``: answer "unknown" below the model's abstention threshold (if it has one).
        ``tta``: shifted copies of each window to average (test-time augmentation; 0: none).
        ``gate``: set each window's noise floor to zeros before the front end (features/gate.py).
        ``band_hz``: low-pass the input to this band first (features/band.py)."""
        from envsound.inference.shipped import resolve_model

        path = resolve_model(path, onnx=True if backend == "onnx" else None)
        if backend == "onnx" or path.suffix == ".onnx":
            predictor = cls.from_onnx(path)
            predictor.abstain, predictor.tta, predictor.gate, predictor.band_hz = abstain, tta, gate, band_hz
            return predictor
        if backend != "torch":
            raise ConfigError(f"unknown backend '{backend}'; choose torch or onnx")
        from envsound.devices import choose_device
        from envsound.models.model_file import load_model

        loaded = load_model(path)
        chosen = choose_device(device)
        return cls(loaded.extractor, torch_scorer(loaded, chosen), loaded.classes, loaded, chosen, abstain=abstain, tta=tta, gate=gate, band_hz=band_hz)

    @classmethod
    def from_onnx(cls, path: str | Path) -> "Predictor":
        import json

        from envsound.errors import RunError
        from envsound.features.numpy_frontend import numpy_front_end
        from envsound.inference.onnx_runtime import SIDECAR_DIGEST_KEY, SIDECAR_SUFFIX, OnnxScorer, WaveformInput, check_binding

        path = Path(path)
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        if path.suffix != ".onnx":
            raise RunError(f"{path}: the onnx backend needs an exported .onnx file (see `envsound export`)")
        if not path.is_file() or not sidecar.is_file():
            raise RunError(f"{path}: ONNX model or its {sidecar.name} not found (see `envsound export`)")
        try:
            meta = json.loads(sidecar.read_text())
            front_end = WaveformInput(meta["features"]) if meta.get("input") == "waveform" else numpy_front_end(meta["features"])
            classes = tuple(meta["classes"])
            # The graph's embedding is already whitened, so the novelty distance is a plain squared one.
            means = meta.get("novelty_whitened_means")
            means = None if means is None else np.asarray(means, dtype=np.float64).reshape(len(means), -1)
            outliers = meta.get("novelty_whitened_outliers")
            outliers = None if outliers is None else np.asarray(outliers, dtype=np.float64).reshape(len(outliers), -1)
            exposure_form = meta.get("novelty_exposure_form", "difference")
            if exposure_form not in Novelty.EXPOSURE_FORMS:
                raise ValueError(f"novelty_exposure_form must be one of {', '.join(Novelty.EXPOSURE_FORMS)}, got {exposure_form!r}")
            background = meta.get("background_whitened")
            background = None if background is None else BackgroundDetector.from_parts(background["weight"], background, None if means is None else means.shape[1], str(sidecar))
            calibration = Calibration.from_dict(meta.get("calibration"))
        except (ValueError, KeyError, TypeError) as err:
            raise RunError(f"{sidecar}: not a valid export sidecar ({type(err).__name__}: {err})") from None
        scorer = OnnxScorer(path)
        check_binding(path, sidecar, meta, scorer.session.get_modelmeta().custom_metadata_map.get(SIDECAR_DIGEST_KEY))
        width = scorer.session.get_outputs()[0].shape[-1]
        if isinstance(width, int) and width != len(classes):
            raise RunError(f"{sidecar}: names {len(classes)} classes, the graph scores {width}")
        predictor = cls(front_end, scorer, classes, calibration=calibration)
        if isinstance(front_end, WaveformInput):
            predictor.batch_seconds = ONNX_WAVEFORM_BATCH_SECONDS
        if scorer.has_embedding and means is not None:
            predictor.novelty = Novelty(means, np.eye(means.shape[1]), outliers, exposure_form)
        if scorer.has_embedding and background is not None:
            predictor.background = background
        if predictor.novelty is not None or predictor.background is not None:
            predictor.score_with_embedding = scorer.with_embedding
        return predictor

    @property
    def windowing(self) -> Windowing:
        """The one windowing policy (``models/windowing.py``) at this model's clip length."""
        return Windowing.of_model(self.extractor)

    @property
    def window_samples(self) -> int:
        return self.windowing.size

    def batch_windows(self, window_seconds: float | None = None) -> int:
        """Windows per model call when not told: ``batch_seconds`` of audio in windows of
        ``window_seconds`` (default: the model's clip length)."""
        return max(1, round(self.batch_seconds / (window_seconds or self.extractor.clip_seconds)))

    @property
    def hop_samples(self) -> int:
        return self.windowing.hop

    def windows(self, signal: np.ndarray) -> np.ndarray:
        return self.windowing.split(signal)

    def features(self, windows: np.ndarray) -> np.ndarray:
        """(n_windows, samples) waveforms -> the front end's features: every path to the model
        goes through here, so an input treatment (band, gate) applies wherever it is on."""
        windows = windows.astype(np.float32, copy=False)
        if self.band_hz is not None:
            windows = band_limit(windows, self.extractor.sample_rate, self.band_hz)
        return self.extractor(gate_quiet_frames(windows, self.extractor.sample_rate) if self.gate else windows)

    def window_probabilities(self, windows: np.ndarray) -> np.ndarray:
        """(n_windows, samples) waveforms -> (n_windows, n_classes) probabilities."""
        return self.score(self.features(windows))

    def window_embeddings(self, windows: np.ndarray) -> np.ndarray:
        """(n_windows, samples) waveforms -> the model's own embedding of each (what its head,
        novelty and background read; an ONNX export's is whitened): `embed --model`, `index --model`."""
        if self.loaded is not None:
            return self.loaded.embeddings(self.features(windows)).astype(np.float32)
        if self.score_with_embedding is None:
            raise ConfigError("this ONNX export has no embedding output (export a model with novelty statistics)")
        return np.asarray(self.score_with_embedding(self.features(windows))[1], dtype=np.float32)

    def feature_scores(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The one batched scorer: front-end features -> (probabilities, the model's embeddings
        when it measures novelty or background, else None), from one pass through the model."""
        if self.score_with_embedding is None:
            return self.score(features), None
        return self.score_with_embedding(features)

    def window_scores(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(probabilities, embeddings or None): the embeddings when the model measures novelty.
        With ``tta``, each window is also scored shifted circularly by k/(tta+1) of its length
        (k = 1..tta) and the results averaged: the same sound at other positions in the window."""
        copies = self.tta + 1
        if copies > 1:
            windows = shifted_copies(windows, copies)
        probs, embeddings = self.feature_scores(self.features(windows))
        if copies > 1:
            probs = probs.reshape(copies, -1, probs.shape[1]).mean(axis=0)
            embeddings = None if embeddings is None else embeddings.reshape(copies, -1, embeddings.shape[1]).mean(axis=0)
        return probs, embeddings

    def probabilities(self, signal: np.ndarray) -> np.ndarray:
        """The network's own mean window probabilities for a decoded signal at the model's rate:
        no calibration, novelty or TTA (what the latency benchmarks time)."""
        return self.window_probabilities(self.windows(signal)).mean(axis=0)

    def predict_array(self, signal: np.ndarray, sample_rate: int, top_k: int = 5, name: str = "<array>", batch_size: int | None = None) -> Prediction:
        """Top-k labels of a waveform already in memory, mono ``(samples,)`` or ``(samples,
        channels)``, at any rate: the Python way in for audio that never was a file. Scored
        ``batch_size`` windows at a time, as files are, so an hour-long array costs the model no
        more memory than a clip (it used to score every window in one call). Integer PCM (what
        ``wave``, ``sounddevice`` or ``scipy.io.wavfile`` give) is scaled to [-1, 1] as a decoder
        would; it used to be read as floats 32768 times too loud."""
        signal = pcm_as_float(np.asarray(signal), name)
        if signal.ndim == 2:
            signal = to_mono(signal)
        if signal.ndim != 1 or not len(signal):
            raise AudioError(f"{name}: expected a non-empty (samples,) or (samples, channels) array, got shape {signal.shape}")
        if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
            raise AudioError(f"{name}: sample rate {sample_rate} Hz is outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz")
        if not np.all(np.isfinite(signal)):
            raise AudioError(f"{name}: contains NaN or infinite samples")
        batch_size = self.batch_windows() if batch_size is None else batch_size
        score = _FileScore(name)
        for _, windows in self.windowing.batches(score.watch([resample(signal, sample_rate, self.extractor.sample_rate)]), batch_size):
            score.add(*self.window_scores(windows))
        return self._result(score, top_k)

    def evidence(self, embeddings: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        """(novelty distance, exposure score, background score) per row of ``embeddings``; None
        for what this model does not measure."""
        distance = exposure = background = None
        if embeddings is not None:
            if self.novelty is not None:
                distance, exposure = self.novelty.scores(embeddings)
            if self.background is not None:
                background = self.background.scores(embeddings)
        return distance, exposure, background

    def decide(self, probs: np.ndarray, embeddings: np.ndarray | None = None) -> Decisions:
        """Raw probabilities of n rows (windows, cells or files) and their mean embeddings -> the
        outcomes: the one decision rule (``models/decision.py``) with this model's evidence."""
        return self.decide_scores(probs, *self.evidence(embeddings))

    def decide_scores(self, probs: np.ndarray, distance: np.ndarray | None = None, exposure: np.ndarray | None = None,
                      background: np.ndarray | None = None) -> Decisions:
        """``decide`` from evidence already reduced to scores (a timeline averages them per cell)."""
        return decide(probs, self.calibration, self.abstain, distance, exposure, background,
                      self.background.threshold if self.background is not None else None)

    def _result(self, score: _FileScore, top_k: int) -> Prediction:
        from envsound.utils import shown_name

        if score.error is not None:
            return Prediction(shown_name(score.path), [], [], error=shown_name(score.error))
        mean_embedding = None if score.embedding is None else (score.embedding / score.windows)[None]
        decision = self.decide(score.mean()[None], mean_embedding)
        probs = decision.probabilities[0]
        order = np.argsort(probs)[::-1][:top_k]
        warning = input_warning(score.peak, score.samples / self.extractor.sample_rate, self.extractor.clip_seconds)
        return Prediction(shown_name(score.path), [self.classes[i] for i in order], [float(probs[i]) for i in order], warning=warning,
                          abstained=bool(decision.abstained[0]), calibrated=self.calibration is not None,
                          novelty=None if decision.distance is None else float(decision.distance[0]), background=bool(decision.background[0]))

    def _windows_of(self, score: _FileScore, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """A file's windows, its blocks watched on the way for its level and length."""
        return (window for _, window in self.windowing.windows(score.watch(blocks)))

    def predict_file(self, path: str | Path, top_k: int = 5, batch_size: int | None = None) -> Prediction:
        """One file of any length, streamed: scored ``batch_size`` windows at a time."""
        return self.predict([path], top_k=top_k, batch_size=batch_size, workers=1)[0]

    def audioset_tags(self, path: str | Path, top_k: int = 5, batch_size: int | None = None) -> Prediction:
        """The pretrained backbone's own AudioSet tags (sigmoid scores, multi-label, max over windows)."""
        import torch

        from envsound.models.zero_shot import audioset_labels

        batch_size = self.batch_windows() if batch_size is None else batch_size
        if self.loaded is None or not hasattr(self.loaded.model, "audioset_logits"):
            return Prediction(str(path), [], [], error="this model has no AudioSet head (use a pretrained-backbone model)")
        best: np.ndarray | None = None
        try:
            for _, windows in self.windowing.batches(stream_audio(path, self.extractor.sample_rate), batch_size):
                features = torch.from_numpy(self.features(windows)).to(self.device)
                with torch.inference_mode():
                    scores = self.loaded.scoring_network(self.device).audioset_logits(features).sigmoid().amax(dim=0).float().cpu().numpy()
                best = scores if best is None else np.maximum(best, scores)
        except AudioError as err:
            return Prediction(str(path), [], [], error=str(err))
        assert best is not None
        names = audioset_labels()
        order = np.argsort(best)[::-1][:top_k]
        return Prediction(str(path), [names[i] for i in order], [float(best[i]) for i in order])

    def predict(self, paths: Sequence[str | Path], top_k: int = 5, batch_size: int | None = None, workers: int = 2, progress: bool = False) -> list[Prediction]:
        """Many files, in input order. Files up to a minute are decoded whole in threads, a few ahead
        of the model; longer ones are streamed block by block. Windows of consecutive files share
        batches of ``batch_size``, so memory is bounded by the batch and the read-ahead, never by a
        file's length or the number of files."""
        from envsound.progress import progress_bar

        if top_k < 1:
            raise ConfigError(f"--top-k must be at least 1, got {top_k}")
        batch_size = self.batch_windows() if batch_size is None else batch_size
        if batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {batch_size}")
        rate = self.extractor.sample_rate
        scores = [_FileScore(p) for p in paths]
        batch: list[np.ndarray] = []
        owners: list[_FileScore] = []

        def flush() -> None:
            if batch:
                probs, embeddings = self.window_scores(np.stack(batch))
                for k, (owner, row) in enumerate(zip(owners, probs)):
                    owner.add(row[None], None if embeddings is None else embeddings[k : k + 1])
                batch.clear()
                owners.clear()

        def decode(score: _FileScore) -> tuple[_FileScore, Iterable[np.ndarray]]:
            """Runs in a worker thread: a short file decoded whole, a long one only opened."""
            try:
                info = probe(score.path)
                whole = info.duration <= WHOLE_FILE_SECONDS
                blocks = [load_audio(info.path, rate)] if whole else stream_audio(info.path, rate, info=info)
                return score, self._windows_of(score, blocks)
            except AudioError as err:
                score.error = str(err)
                return score, ()

        with progress_bar("predict", len(scores), progress) as advance:
            for score, windows in read_ahead(decode, scores, workers):
                try:
                    for window in windows:
                        batch.append(window)
                        owners.append(score)
                        if len(batch) >= batch_size:
                            flush()
                except AudioError as err:  # damage found halfway through a streamed file
                    score.error = str(err)
                    kept = [(w, o) for w, o in zip(batch, owners) if o is not score]
                    batch[:] = [w for w, _ in kept]
                    owners[:] = [o for _, o in kept]
                advance(1)
            flush()
        return [self._result(score, top_k) for score in scores]


def read_ahead(work: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[R]:
    """``map(work, items)`` in threads, in order, with at most ``2 * workers`` results waiting:
    unlike ``Executor.map``, it never decodes the whole list ahead of its consumer."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    if workers <= 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def expand_inputs(items: list[str | Path]) -> list[Path]:
    """Files as given; folders searched recursively for audio; glob patterns expanded, sorted."""
    import glob

    from envsound.audio import is_audio_file

    paths: list[Path] = []
    for item in map(str, items):
        if any(ch in item for ch in "*?[") and not Path(item).exists():  # a real file named clip[1].flac is that file
            matches = sorted(Path(p) for p in glob.glob(item, recursive=True))
            paths.extend(p for p in matches if is_audio_file(p))
        elif Path(item).is_dir():
            paths.extend(sorted(p for p in Path(item).rglob("*") if is_audio_file(p)))
        else:
            paths.append(Path(item))  # a missing file is reported by the predictor, not dropped
    return paths


def write_predictions(results: list[Prediction], path: str | Path) -> None:
    """``.json`` or ``.csv`` (file, rank, label, probability, answer: the top label, "unknown" or
    "background", then why: abstained, background, closest, novelty; warning, error), written atomically."""
    import json

    from envsound.utils import SafeCsvWriter, atomic_path, table_format

    path = Path(path)
    kind = table_format(path)
    with atomic_path(path) as tmp:
        if kind == "json":
            tmp.write_text(json.dumps([r.to_dict() for r in results], indent=2) + "\n")
            return
        with open(tmp, "w", newline="") as handle:
            writer = SafeCsvWriter(handle)
            writer.writerow(["file", "rank", "label", "probability", "answer", "abstained", "background", "closest", "novelty", "warning", "error"])
            for r in results:
                if r.error:
                    writer.writerow([r.file, "", "", "", "", "", "", "", "", "", r.error])
                why = [str(r.abstained).lower(), str(r.background).lower(), r.labels[0] if r.labels else "", "" if r.novelty is None else f"{r.novelty:.1f}"]
                for rank, (label, p) in enumerate(zip(r.labels, r.probabilities), start=1):
                    writer.writerow([r.file, rank, label, f"{p:.4f}", r.answer, *why, r.warning or "", ""])
