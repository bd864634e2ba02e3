"""The scoring copy of a network: BatchNorm folded, channels-last, the same outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from envsound.models.inference_copy import fold_batch_norms, inference_copy


def _net() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU()),
                        nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8)),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
    for norm in net.modules():  # running statistics far from the identity, so a wrong fold shows
        if isinstance(norm, nn.BatchNorm2d):
            norm.running_mean.uniform_(-2, 2)
            norm.running_var.uniform_(0.2, 3)
            norm.weight.data.uniform_(0.5, 2)
            norm.bias.data.uniform_(-1, 1)
    return net.eval()


def test_the_copy_scores_like_the_network_and_leaves_it_untouched():
    net = _net()
    x = torch.randn(4, 1, 16, 20)
    with torch.inference_mode():
        expected = net(x)
        copy = inference_copy(net)
        assert torch.allclose(copy(x), expected, atol=1e-5)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in copy.modules()) == 0
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 2  # the original keeps its norms


def test_folding_refuses_a_model_in_training_mode():
    with pytest.raises(ValueError, match="eval"):
        fold_batch_norms(_net().train())
