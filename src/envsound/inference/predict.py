"""Top-k labels for audio files of any rate, channel count and length."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from envsound.audio import load_audio
from envsound.errors import AudioError
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


class Predictor:
    """A loaded model that classifies clips; longer recordings are averaged over windows."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.classes = loaded.classes

    @classmethod
    def from_file(cls, path: str | Path) -> "Predictor":
        return cls(load_model(path))

    @property
    def window_samples(self) -> int:
        ex = self.loaded.extractor
        return round(ex.clip_seconds * ex.sample_rate)

    def windows(self, signal: np.ndarray) -> np.ndarray:
        """One window for short clips (zero-padded); half-overlapping windows for long ones."""
        size = self.window_samples
        if len(signal) <= size:
            return np.pad(signal, (0, size - len(signal)))[None, :]
        hop = size // 2
        starts = list(range(0, len(signal) - size + 1, hop))
        if starts[-1] + size < len(signal):
            starts.append(len(signal) - size)
        return np.stack([signal[s : s + size] for s in starts])

    def probabilities(self, signal: np.ndarray) -> np.ndarray:
        features = self.loaded.extractor(self.windows(signal).astype(np.float32))
        if self.loaded.spec.kind == "network":
            with torch.inference_mode():
                probs = self.loaded.model(torch.from_numpy(features)).softmax(dim=1).numpy()
        else:
            probs = self.loaded.model.predict_proba(features)
        return probs.mean(axis=0)

    def predict_file(self, path: str | Path, top_k: int = 5) -> Prediction:
        try:
            signal = load_audio(path, self.loaded.extractor.sample_rate)
        except AudioError as err:
            return Prediction(str(path), [], [], error=str(err))
        probs = self.probabilities(signal)
        order = np.argsort(probs)[::-1][:top_k]
        ex = self.loaded.extractor
        warning = input_warning(signal, ex.sample_rate, ex.clip_seconds)
        return Prediction(str(path), [self.classes[i] for i in order], [float(probs[i]) for i in order], warning=warning)

    def audioset_tags(self, path: str | Path, top_k: int = 5) -> Prediction:
        """The pretrained backbone's own AudioSet tags (sigmoid scores, multi-label)."""
        from envsound.inference.shipped import audioset_labels

        if not hasattr(self.loaded.model, "audioset_logits"):
            return Prediction(str(path), [], [], error="this model has no AudioSet head (use a pretrained-backbone model)")
        try:
            signal = load_audio(path, self.loaded.extractor.sample_rate)
        except AudioError as err:
            return Prediction(str(path), [], [], error=str(err))
        features = torch.from_numpy(self.loaded.extractor(self.windows(signal).astype(np.float32)))
        with torch.inference_mode():
            scores = self.loaded.model.audioset_logits(features).sigmoid().amax(dim=0).numpy()
        names = audioset_labels()
        order = np.argsort(scores)[::-1][:top_k]
        return Prediction(str(path), [names[i] for i in order], [float(scores[i]) for i in order])

    def predict(self, paths: list[str | Path], top_k: int = 5) -> list[Prediction]:
        return [self.predict_file(p, top_k) for p in paths]
