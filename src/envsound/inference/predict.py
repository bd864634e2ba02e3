"""Top-k labels for audio files of any rate, channel count and length."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from envsound.audio import load_audio
from envsound.errors import AudioError, ConfigError
from envsound.inference.model_file import LoadedModel, load_model


@dataclass
class Prediction:
    file: str
    labels: list[str]
    probabilities: list[float]
    error: str | None = None
    warning: str | None = None

    def to_dict(self) -> dict:
        if self.error:
            return {"file": self.file, "error": self.error}
        out = {"file": self.file, "top": [{"label": l, "probability": round(p, 4)} for l, p in zip(self.labels, self.probabilities)]}
        if self.warning:
            out["warning"] = self.warning
        return out


SILENCE_PEAK = 1e-4  # below -80 dBFS nothing is audible; the label would be noise


def input_warning(signal: np.ndarray, sample_rate: int, window_seconds: float) -> str | None:
    if np.abs(signal).max(initial=0.0) < SILENCE_PEAK:
        return "input is silent; the labels are not meaningful"
    seconds = len(signal) / sample_rate
    if seconds < 0.1 * window_seconds:
        return f"input is only {seconds:.2f} s (model window {window_seconds:g} s); it was zero-padded"
    return None


def split_windows(signal: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(windows (n, size), start samples (n,)): one zero-padded window for short clips, windows
    overlapping by half for long ones (the last one flush with the end, so nothing is dropped)."""
    if len(signal) <= size:
        return np.pad(signal, (0, size - len(signal)))[None, :], np.zeros(1, dtype=int)
    hop = size // 2
    starts = list(range(0, len(signal) - size + 1, hop))
    if starts[-1] + size < len(signal):
        starts.append(len(signal) - size)
    return np.stack([signal[s : s + size] for s in starts]), np.asarray(starts)


Scorer = Callable[[np.ndarray], np.ndarray]  # features (n, ...) -> probabilities (n, classes)


def torch_scorer(loaded: LoadedModel) -> Scorer:
    if loaded.spec.kind != "network":
        return loaded.model.predict_proba

    def score(features: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return loaded.model(torch.from_numpy(features)).softmax(dim=1).numpy()

    return score


class Predictor:
    """Classifies clips with a front end and a scorer (torch or onnxruntime); long recordings are
    averaged over half-overlapping windows."""

    def __init__(self, extractor: Any, score: Scorer, classes: tuple[str, ...], loaded: LoadedModel | None = None) -> None:
        self.extractor = extractor
        self.score = score
        self.classes = tuple(classes)
        self.loaded = loaded  # the torch model, when there is one (AudioSet tags need it)

    @classmethod
    def from_file(cls, path: str | Path | None = None, backend: str = "torch") -> "Predictor":
        """An envsound model file (torch), or an exported ``.onnx`` with its ``.onnx.json``;
        ``None`` is the shipped ESC-50 model, so ``Predictor.from_file().predict_file(f)`` just works."""
        from envsound.inference.shipped import default_model_path

        path = Path(path) if path is not None else default_model_path()
        if backend == "onnx" or path.suffix == ".onnx":
            return cls.from_onnx(path)
        if backend != "torch":
            raise ConfigError(f"unknown backend '{backend}'; choose torch or onnx")
        loaded = load_model(path)
        return cls(loaded.extractor, torch_scorer(loaded), loaded.classes, loaded)

    @classmethod
    def from_onnx(cls, path: str | Path) -> "Predictor":
        import json

        from envsound.errors import RunError
        from envsound.features.numpy_frontend import numpy_front_end
        from envsound.inference.onnx_export import SIDECAR_SUFFIX, OnnxScorer

        path = Path(path)
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        if path.suffix != ".onnx":
            raise RunError(f"{path}: the onnx backend needs an exported .onnx file (see `envsound export`)")
        if not path.is_file() or not sidecar.is_file():
            raise RunError(f"{path}: ONNX model or its {sidecar.name} not found (see `envsound export`)")
        meta = json.loads(sidecar.read_text())
        return cls(numpy_front_end(meta["features"]), OnnxScorer(path), tuple(meta["classes"]))

    @property
    def window_samples(self) -> int:
        return round(self.extractor.clip_seconds * self.extractor.sample_rate)

    def windows(self, signal: np.ndarray) -> np.ndarray:
        return split_windows(signal, self.window_samples)[0]

    def window_probabilities(self, windows: np.ndarray) -> np.ndarray:
        """(n_windows, samples) waveforms -> (n_windows, n_classes) probabilities."""
        return self.score(self.extractor(windows.astype(np.float32, copy=False)))

    def probabilities(self, signal: np.ndarray) -> np.ndarray:
        return self.window_probabilities(self.windows(signal)).mean(axis=0)

    def _result(self, path: str | Path, signal: np.ndarray, probs: np.ndarray, top_k: int) -> Prediction:
        order = np.argsort(probs)[::-1][:top_k]
        warning = input_warning(signal, self.extractor.sample_rate, self.extractor.clip_seconds)
        return Prediction(str(path), [self.classes[i] for i in order], [float(probs[i]) for i in order], warning=warning)

    def predict_file(self, path: str | Path, top_k: int = 5) -> Prediction:
        try:
            signal = load_audio(path, self.extractor.sample_rate)
        except AudioError as err:
            return Prediction(str(path), [], [], error=str(err))
        return self._result(path, signal, self.probabilities(signal), top_k)

    def audioset_tags(self, path: str | Path, top_k: int = 5) -> Prediction:
        """The pretrained backbone's own AudioSet tags (sigmoid scores, multi-label)."""
        from envsound.inference.shipped import audioset_labels

        if self.loaded is None or not hasattr(self.loaded.model, "audioset_logits"):
            return Prediction(str(path), [], [], error="this model has no AudioSet head (use a pretrained-backbone model)")
        try:
            signal = load_audio(path, self.extractor.sample_rate)
        except AudioError as err:
            return Prediction(str(path), [], [], error=str(err))
        features = torch.from_numpy(self.extractor(self.windows(signal).astype(np.float32)))
        with torch.inference_mode():
            scores = self.loaded.model.audioset_logits(features).sigmoid().amax(dim=0).numpy()
        names = audioset_labels()
        order = np.argsort(scores)[::-1][:top_k]
        return Prediction(str(path), [names[i] for i in order], [float(scores[i]) for i in order])

    def predict(self, paths: list[str | Path], top_k: int = 5, batch_size: int = 32, workers: int = 2, progress: bool = False) -> list[Prediction]:
        """Many files: decoding runs in threads while the model works through batches of windows."""
        from concurrent.futures import ThreadPoolExecutor

        from envsound.progress import progress_bar

        rate = self.extractor.sample_rate

        def decode(path: str | Path) -> tuple[str | Path, np.ndarray | None, str | None]:
            try:
                return path, load_audio(path, rate), None
            except AudioError as err:
                return path, None, str(err)

        results: list[Prediction] = []
        pending: list[tuple[str | Path, np.ndarray, int]] = []  # (path, signal, number of windows)
        batch: list[np.ndarray] = []

        def flush() -> None:
            if not pending:
                return
            probs = self.window_probabilities(np.concatenate(batch))
            start = 0
            for path, signal, count in pending:
                results.append(self._result(path, signal, probs[start : start + count].mean(axis=0), top_k))
                start += count
            pending.clear()
            batch.clear()

        with ThreadPoolExecutor(max_workers=workers) as pool, progress_bar("predict", len(paths), progress) as advance:
            for path, signal, error in pool.map(decode, paths):
                if error is not None:
                    flush()  # keep the output in input order
                    results.append(Prediction(str(path), [], [], error=error))
                else:
                    windows = self.windows(signal)
                    pending.append((path, signal, len(windows)))
                    batch.append(windows)
                    if sum(len(b) for b in batch) >= batch_size:
                        flush()
                advance(1)
            flush()
        return results


def expand_inputs(items: list[str | Path]) -> list[Path]:
    """Files as given; folders searched recursively for audio; glob patterns expanded, sorted."""
    import glob

    from envsound.audio import is_audio_file

    paths: list[Path] = []
    for item in map(str, items):
        if any(ch in item for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(item, recursive=True))
            paths.extend(p for p in matches if is_audio_file(p))
        elif Path(item).is_dir():
            paths.extend(sorted(p for p in Path(item).rglob("*") if is_audio_file(p)))
        else:
            paths.append(Path(item))  # a missing file is reported by the predictor, not dropped
    return paths


def write_predictions(results: list[Prediction], path: str | Path) -> None:
    """``.json`` or ``.csv`` (file, rank, label, probability, error), written atomically."""
    import csv
    import json

    from envsound.utils import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".json":
            tmp.write_text(json.dumps([r.to_dict() for r in results], indent=2) + "\n")
            return
        with open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "rank", "label", "probability", "warning", "error"])
            for r in results:
                if r.error:
                    writer.writerow([r.file, "", "", "", "", r.error])
                for rank, (label, p) in enumerate(zip(r.labels, r.probabilities), start=1):
                    writer.writerow([r.file, rank, label, f"{p:.4f}", r.warning or "", ""])
