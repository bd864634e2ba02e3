"""The frozen AudioSet backbone as a feature extractor: EfficientAT's front end, then the network's
embedding views. It lives beside the backbone because it runs it; the front end alone is a plain
feature (``features/efficientat.py``)."""

from __future__ import annotations

from typing import Sequence

import torch

from envsound.defaults import DEFAULT_CHECKPOINT
from envsound.features.efficientat import EfficientATEmbeddingConfig, EfficientATLogMelExtractor
from envsound.models.inference_copy import inference_copy
from envsound.models.pretrained import load_backbone


class EfficientATEmbeddingExtractor:
    """Frozen-backbone embeddings (by default the pooled 6·C features), for linear probes."""

    def __init__(self, checkpoint: str = DEFAULT_CHECKPOINT, clip_seconds: float = 5.0, views: Sequence[str] = ("mean",), config: EfficientATEmbeddingConfig | None = None) -> None:
        config = config or EfficientATEmbeddingConfig(clip_seconds=clip_seconds, checkpoint=checkpoint, views=tuple(views))
        self.config = config
        self.checkpoint = config.checkpoint
        self.views = tuple(config.views)
        self.front_end = EfficientATLogMelExtractor(config=config.front_end)
        self.sample_rate = self.front_end.sample_rate
        self.clip_seconds = config.clip_seconds
        checkpoint = config.checkpoint
        self.backbone = inference_copy(load_backbone(checkpoint))  # frozen: BatchNorm folded, channels-last (same embeddings, faster)
        self.output_shape = (self.backbone.view_dim(self.views),)

    def describe(self) -> dict:
        described = {**self.front_end.describe(), "kind": "efficientat-embedding", "checkpoint": self.checkpoint}
        if self.views != ("mean",):  # named only when not the default, so existing caches stay valid
            described["views"] = list(self.views)
        return described

    @torch.inference_mode()
    def __call__(self, waveforms):
        logmel = torch.from_numpy(self.front_end(waveforms))
        return self.backbone.views(logmel, self.views).numpy()
