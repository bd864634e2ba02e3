"""The AudioSet-pretrained backbone as an envsound classifier: backbone + a new linear head."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from envsound.defaults import DEFAULT_CHECKPOINT
from envsound.errors import ConfigError
from envsound.models.mobilenet import AudioMobileNet
from envsound.models.weights import CHECKPOINTS, get_checkpoint, weights_path


def load_backbone(name: str = DEFAULT_CHECKPOINT, pretrained: bool = True) -> AudioMobileNet:
    """AudioMobileNet with its 527-class AudioSet head; weights loaded strictly when pretrained."""
    checkpoint = get_checkpoint(name)
    if checkpoint.family != "mn":
        raise ConfigError(f"{name} is a dynamic MobileNet (DyMN): `envsound weights download` fetches it, but envsound builds only the mn family; use one of {', '.join(n for n, c in CHECKPOINTS.items() if c.family == 'mn')}")
    model = AudioMobileNet(width=checkpoint.width)
    if pretrained:
        state = torch.load(weights_path(name), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    return model.eval()


class PretrainedClassifier(nn.Module):
    """Backbone embedding -> dropout -> Linear(n_classes). Fine-tunes end to end in the loop.

    ``views`` picks what the head reads (AudioMobileNet.views); the default is the pooled embedding.
    """

    def __init__(self, n_classes: int, checkpoint: str = DEFAULT_CHECKPOINT, pretrained: bool = True, dropout: float = 0.2, views: Sequence[str] = ("mean",)) -> None:
        super().__init__()
        self.backbone = load_backbone(checkpoint, pretrained)
        self.views = tuple(views)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.backbone.view_dim(self.views), n_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone.views(x, self.views)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.embed(x)))

    def forward_with_embedding(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, the embedding the head read): one pass, for novelty scores beside the answer."""
        embedding = self.embed(x)
        return self.head(self.dropout(embedding)), embedding

    def audioset_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)[0]

    def fit_head_probe(self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 64) -> None:
        """Start fine-tuning from a linear probe on the frozen backbone's embeddings of ``x``.

        Linear probing then fine-tuning (LP-FT, Kumar et al. 2022): with a random head the first
        steps' large gradients reshape the pretrained features to fit an untrained layer; with the
        probe's head the whole network starts near a good solution and a small learning rate suffices.
        The probe is the one `mn04_probe` fits (C by inner CV on ``x`` alone), so no other data is seen.
        """
        from envsound.models.classic import linear_probe

        was_training = self.training
        self.eval()
        with torch.inference_mode():
            embeddings = torch.cat([self.embed(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]).numpy()
        self.load_probe(linear_probe().fit(embeddings, y.numpy()))
        self.train(was_training)

    def load_probe(self, probe) -> None:
        """Make the head compute a fitted StandardScaler -> LogisticRegression probe's logits."""
        weight, bias = probe_as_linear(probe, self.head.out_features)
        with torch.no_grad():
            self.head.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
            self.head.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))


def probe_as_linear(probe, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) such that softmax(W·e + b) equals a fitted StandardScaler -> LogisticRegression probe.

    logits = W·((e − μ)/σ) + b = (W/σ)·e + (b − W·μ/σ). Classes the probe never saw get zero weight
    and a bias far below the others (probability ≈ 0) until training moves them.
    """
    scaler, logistic = probe[0], probe[-1]
    coef, intercept = logistic.coef_, logistic.intercept_
    if len(logistic.classes_) == 2:  # scikit-learn's binary form: one logit z for class 1
        coef, intercept = np.concatenate([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
    seen_weight = coef / scaler.scale_[None, :]
    seen_bias = intercept - seen_weight @ scaler.mean_
    rows = np.asarray(logistic.classes_, dtype=int)
    weight = np.zeros((n_classes, coef.shape[1]))
    bias = np.full(n_classes, seen_bias.min() - 10.0)
    weight[rows], bias[rows] = seen_weight, seen_bias
    return weight, bias


def classifier_from_probe(probe, n_classes: int, checkpoint: str = DEFAULT_CHECKPOINT, views: Sequence[str] = ("mean",)) -> PretrainedClassifier:
    """The probe folded into the classifier's linear head, so the network alone reproduces the
    probe's probabilities and ships as one self-contained file. ``views``: the embedding the probe read."""
    if len(probe[-1].classes_) != n_classes:
        raise ValueError("the probe was not fitted on every class")
    model = PretrainedClassifier(n_classes, checkpoint, views=views)
    model.load_probe(probe)
    return model.eval()
