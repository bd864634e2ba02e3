"""A network prepared for inference only: BatchNorm folded into the convolution before it and
weights in channels-last layout.

In eager PyTorch on the CPU an mn04 forward pass spends a share of its time in BatchNorm, and its
depthwise convolutions run faster on channels-last weights; folding
(``torch.nn.utils.fusion.fuse_conv_bn_eval``, exact up to float rounding) and channels-last took
the shipped ensemble's networks from 11.5 ms per clip to 5.8-6.6 ms (`torch_network_ms` of
`python benchmarks/inference.py` in benchmarks/results/inference.json, at commits 8c788c7, 61906b8
and 1fc8e0a).
The copy is for scoring: the loaded model itself stays as it was, so training, fine-tuning,
calibration and export see the original.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def fold_batch_norms(model: nn.Module) -> int:
    """Fold every BatchNorm2d that directly follows a Conv2d in the same ``nn.Sequential`` into
    that convolution (the pair becomes the fused convolution and an ``nn.Identity``), in place.
    The model must be in eval mode: running statistics are what get folded. Returns the count."""
    if model.training:
        raise ValueError("fold_batch_norms needs a model in eval mode")
    folded = 0
    for module in model.modules():
        if not isinstance(module, nn.Sequential):
            continue
        names = list(module._modules)
        for first, second in zip(names, names[1:]):
            conv, norm = module._modules[first], module._modules[second]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d) and norm.track_running_stats:
                module._modules[first] = fuse_conv_bn_eval(conv, norm)
                module._modules[second] = nn.Identity()
                folded += 1
    return folded


def inference_copy(model: nn.Module) -> nn.Module:
    """A folded, channels-last copy of ``model`` in eval mode, for scoring only."""
    prepared = copy.deepcopy(model).eval()
    fold_batch_norms(prepared)
    return prepared.to(memory_format=torch.channels_last)
