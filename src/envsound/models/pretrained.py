"""The AudioSet-pretrained backbone as an envsound classifier: backbone + a new linear head."""

from __future__ import annotations

import torch
from torch import nn

from envsound.models.mobilenet import AudioMobileNet
from envsound.models.weights import get_checkpoint, weights_path


def load_backbone(name: str = "mn04_as", pretrained: bool = True) -> AudioMobileNet:
    """AudioMobileNet with its 527-class AudioSet head; weights loaded strictly when pretrained."""
    model = AudioMobileNet(width=get_checkpoint(name).width)
    if pretrained:
        state = torch.load(weights_path(name), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    return model.eval()


class PretrainedClassifier(nn.Module):
    """Backbone embedding -> dropout -> Linear(n_classes). Fine-tunes end to end in the loop."""

    def __init__(self, n_classes: int, checkpoint: str = "mn04_as", pretrained: bool = True, dropout: float = 0.2) -> None:
        super().__init__()
        self.backbone = load_backbone(checkpoint, pretrained)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.backbone.embedding_dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, embedding = self.backbone(x)
        return self.head(self.dropout(embedding))

    def audioset_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)[0]


def classifier_from_probe(probe, n_classes: int, checkpoint: str = "mn04_as") -> PretrainedClassifier:
    """Fold a fitted StandardScaler -> LogisticRegression probe into the classifier's linear head.

    logits = W·((e − μ)/σ) + b = (W/σ)·e + (b − W·μ/σ), so the network alone reproduces the probe's
    probabilities and ships as one self-contained file.
    """
    scaler, logistic = probe[0], probe[-1]
    if len(logistic.classes_) != n_classes:
        raise ValueError("the probe was not fitted on every class")
    weight = logistic.coef_ / scaler.scale_[None, :]
    bias = logistic.intercept_ - weight @ scaler.mean_
    model = PretrainedClassifier(n_classes, checkpoint)
    with torch.no_grad():
        model.head.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
        model.head.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
    return model.eval()
