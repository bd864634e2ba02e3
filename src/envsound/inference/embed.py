"""Embeddings of any audio files, for people who bring their own classifier, search index or
clustering (`envsound embed`): the frozen AudioSet backbone's, or with ``--model`` a model's own
(users' fine-tuned ones included), window by window as `predict` cuts them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from envsound.audio import stream_audio
from envsound.defaults import DEFAULT_CHECKPOINT
from envsound.errors import AudioError, ConfigError
from envsound.inference.predict import BATCH_WINDOWS
from envsound.models.windowing import Windowing


@dataclass
class Embeddings:
    files: list[str]  # files embedded, in input order (failed ones are in ``errors`` instead)
    clip: np.ndarray  # (files, dim): the mean of each file's windows
    window: np.ndarray  # (windows, dim)
    window_file: np.ndarray  # (windows,): index into ``files``
    window_start: np.ndarray  # (windows,): seconds from the start of the file
    checkpoint: str
    views: tuple[str, ...]
    window_seconds: float
    errors: dict[str, str] = field(default_factory=dict)

    def save(self, path: str | Path) -> Path:
        """One ``.npz`` (loads without pickle), written under a temporary name and then renamed."""
        from envsound.utils import atomic_path

        path = check_output_path(path)
        meta = {"checkpoint": self.checkpoint, "views": list(self.views), "window_seconds": self.window_seconds, "errors": self.errors}
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, files=np.asarray(self.files, dtype=str), clip=self.clip, window=self.window,
                         window_file=self.window_file, window_start=self.window_start, meta=np.asarray(json.dumps(meta)))
        return path


class ModelEmbedder:
    """A model's own embedding as an ``embed_files`` extractor: what its head reads, so a model
    trained on your sounds finds sounds like yours."""

    def __init__(self, predictor: Any, name: str) -> None:
        self.predictor, self.checkpoint, self.views = predictor, name, ("model",)
        self.sample_rate, self.clip_seconds = predictor.extractor.sample_rate, predictor.extractor.clip_seconds
        self.output_shape = (int(self(np.zeros((1, round(self.clip_seconds * self.sample_rate)), np.float32)).shape[1]),)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        return self.predictor.window_embeddings(windows)


def check_output_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix != ".npz":
        raise ConfigError(f"{path}: embeddings are written as .npz")
    return path


def embed_files(paths: Sequence[str | Path], checkpoint: str = DEFAULT_CHECKPOINT, views: Sequence[str] = ("mean",), batch_size: int = BATCH_WINDOWS, progress: bool = False,
                extractor: Any = None) -> Embeddings:
    """Each file is cut into the backbone's 5-s windows (half-overlapping; short files zero-padded)
    exactly as `envsound predict` cuts them, so an embedding here is what a classifier there reads.
    ``extractor``: an ``EfficientATEmbeddingExtractor`` already loaded (a worker that embeds batch
    after batch loads the backbone once); by default one is built from ``checkpoint`` and ``views``."""
    from envsound.models.embedding import EfficientATEmbeddingExtractor
    from envsound.progress import progress_bar

    if extractor is None:
        extractor = EfficientATEmbeddingExtractor(checkpoint, views=views)
    checkpoint, views = extractor.checkpoint, extractor.views
    windowing = Windowing.of_model(extractor)
    files: list[str] = []
    errors: dict[str, str] = {}
    windows: list[np.ndarray] = []
    clips: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    with progress_bar("embed", len(paths), progress) as advance:
        for path in paths:
            try:
                parts, first_samples = [], []
                for first, batch in windowing.batches(stream_audio(path, extractor.sample_rate), batch_size):
                    parts.append(extractor(batch))
                    first_samples.extend(first.tolist())
            except AudioError as err:
                errors[str(path)] = str(err)
            else:
                embedded = np.concatenate(parts)
                windows.append(embedded)
                clips.append(embedded.mean(axis=0))
                owners.append(np.full(len(embedded), len(files)))
                starts.append(np.asarray(first_samples) / extractor.sample_rate)
                files.append(str(path))
            advance(1)
    dim = extractor.output_shape[0]
    window = np.concatenate(windows) if windows else np.zeros((0, dim), np.float32)
    window_file = np.concatenate(owners) if owners else np.zeros(0, int)
    clip = np.stack(clips) if clips else np.zeros((0, dim), np.float32)
    return Embeddings(files, clip, window, window_file, np.concatenate(starts) if starts else np.zeros(0),
                      checkpoint, tuple(views), extractor.clip_seconds, errors)
