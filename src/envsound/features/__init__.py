"""Feature extraction (log-mel, embeddings) and the memory-mapped feature cache.

Names resolve lazily, so importing one light submodule (``mel``, ``numpy_frontend``) does not pull
torch into a process that never needs it (the web demo's figure workers, an ONNX-only install).
"""

from importlib import import_module

_HOMES = {
    "CachedFeatures": "cache", "Extractor": "cache", "load_or_compute": "cache",
    "LogMel": "logmel", "LogMelConfig": "logmel", "LogMelExtractor": "logmel",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f"envsound.features.{_HOMES[name]}"), name)
    raise AttributeError(name)
