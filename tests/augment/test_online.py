"""Online augmentation: shapes kept, the intended change made, reproducible from the seed."""

import pytest
import torch

from envsound.augment import online


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_study_image_noise_is_nonzero_and_differs_per_example():
    """The study's 'noise' added zeros; here every example gets its own non-zero noise."""
    x = torch.zeros(4, 1, 16, 32) + torch.linspace(0, 1, 32)
    out = online.study_image_augment(x, _gen(), brightness=0.0, contrast=0.0, noise=0.1)
    rising = (out[..., :4].mean(dim=(1, 2, 3)) < out[..., -4:].mean(dim=(1, 2, 3))).view(4, 1, 1, 1)
    unflipped = torch.where(rising, out, out.flip(-1))
    residual = unflipped - x
    assert residual.abs().mean() > 0.01
    assert not torch.allclose(residual[0], residual[1])


def test_same_seed_same_augmentation():
    x = torch.randn(3, 1, 16, 40)
    for fn in (online.time_roll, online.spec_augment, online.study_image_augment):
        torch.testing.assert_close(fn(x, _gen(5)), fn(x, _gen(5)))
    a = online.mixup(x, torch.tensor([0, 1, 2]), 3, _gen(1))
    torch.manual_seed(0)
    assert a[0].shape == x.shape and torch.allclose(a[1].sum(1), torch.ones(3))


def test_spec_augment_masks_bands_and_time_roll_preserves_content():
    x = torch.randn(2, 1, 32, 50)
    rolled = online.time_roll(x, _gen())
    torch.testing.assert_close(rolled.sort(dim=-1).values, x.sort(dim=-1).values)
    masked = online.spec_augment(x, _gen(), freq_masks=1, freq_width=8, time_masks=0)
    changed_rows = (masked != x).any(dim=-1)[:, 0]
    assert (changed_rows.sum(dim=1) <= 8).all()


def test_random_gain_moves_every_bin_by_the_declared_log_scale():
    x = torch.zeros(64, 1, 8, 10)
    for units in (0.23, 0.046):
        shift = online.random_gain(x, _gen(), max_db=6.0, units_per_db=units)
        per_example = shift[:, 0, 0, 0]
        assert torch.all(shift == per_example[:, None, None, None])  # one gain per clip, all bins alike
        assert per_example.abs().max() <= 6.0 * units + 1e-6
        assert per_example.abs().max() > 4.0 * units  # 64 draws of ±6 dB reach beyond ±4 dB


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_batch_on_the_gpu_is_augmented_there_as_on_the_cpu():
    """The draws come from the CPU generator either way, so the loop can augment on the device."""
    x, y = torch.randn(6, 1, 32, 80), torch.tensor([0, 1, 2, 0, 1, 2])
    for fn in (online.time_roll, online.random_gain, online.spec_augment, online.study_image_augment):
        on_gpu = fn(x.cuda(), _gen(3))
        assert on_gpu.is_cuda, fn.__name__
        torch.testing.assert_close(on_gpu.cpu(), fn(x, _gen(3)), rtol=1e-5, atol=1e-5)
    torch.manual_seed(0)
    mixed_gpu = online.mixup(x.cuda(), y.cuda(), 3, _gen(4))
    torch.manual_seed(0)
    mixed_cpu = online.mixup(x, y, 3, _gen(4))
    for a, b in zip(mixed_gpu, mixed_cpu):
        assert a.is_cuda
        torch.testing.assert_close(a.cpu(), b, rtol=1e-5, atol=1e-5)
