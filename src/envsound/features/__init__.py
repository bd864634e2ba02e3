"""Feature extraction (log-mel, embeddings) and the memory-mapped feature cache."""

from envsound.features.cache import CachedFeatures, Extractor, load_or_compute
from envsound.features.logmel import LogMel, LogMelConfig, LogMelExtractor

__all__ = ["CachedFeatures", "Extractor", "LogMel", "LogMelConfig", "LogMelExtractor", "load_or_compute"]
