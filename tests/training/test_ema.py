import pytest
import torch
from torch import nn

from envsound.config import TrainConfig
from envsound.errors import ConfigError
from envsound.training.ema import WeightAverage


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))


def test_average_follows_the_warmed_up_decay_and_copies_integer_buffers():
    net = _net()
    average = WeightAverage(net, decay=0.998)
    start = net[0].weight.detach().clone()
    with torch.no_grad():
        net[0].weight.add_(1.0)
    net[1].num_batches_tracked += 7
    average.update(net)
    decay = 2 / 11  # warm-up: min(0.998, (1 + 1) / (10 + 1))
    torch.testing.assert_close(average.module[0].weight, decay * start + (1 - decay) * (start + 1.0))
    assert int(average.module[1].num_batches_tracked) == 7
    assert not any(p.requires_grad for p in average.module.parameters())


def test_average_of_a_constant_model_is_the_model():
    net = _net()
    average = WeightAverage(net, decay=0.9)
    for _ in range(20):
        average.update(net)
    for a, b in zip(average.module.state_dict().values(), net.state_dict().values()):
        torch.testing.assert_close(a, b)


def test_state_round_trips():
    net = _net()
    average = WeightAverage(net, decay=0.9)
    with torch.no_grad():
        net[0].bias.add_(2.0)
    average.update(net)
    restored = WeightAverage(_net(), decay=0.9)
    restored.load_state_dict(average.state_dict())
    assert restored.updates == 1
    torch.testing.assert_close(restored.module[0].bias, average.module[0].bias)


@pytest.mark.parametrize("decay", [-0.1, 1.0])
def test_bad_decay_is_a_config_error(decay):
    with pytest.raises(ConfigError, match="ema_decay"):
        TrainConfig(ema_decay=decay)
