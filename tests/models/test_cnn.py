import pytest
import torch

from envsound.models.cnn import CompactCNN, StudyCNN


@pytest.mark.parametrize("cls", [StudyCNN, CompactCNN])
@pytest.mark.parametrize("frames", [251, 101])
def test_logits_shape_and_gradients(cls, frames):
    model = cls(n_classes=7, n_mels=64)
    x = torch.randn(3, 1, 64, frames)
    out = model(x)
    assert out.shape == (3, 7)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_compact_cnn_is_small():
    assert sum(p.numel() for p in CompactCNN(50).parameters()) < 1_500_000
