from dataclasses import replace

import pytest
import torch

from envsound.config import TrainConfig
from envsound.errors import ConfigError
from envsound.models.cnn import CompactCNN
from envsound.training.loop import evaluate, train_network, warmup_cosine


def _toy(n: int = 48, seed: int = 0):
    """Two classes: energy in the low vs the high mel bands."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 16, 40, generator=g) * 0.5
    y = torch.arange(n) % 2
    x[y == 0, :, :4] += 3
    x[y == 1, :, -4:] += 3
    return x, y


CFG = TrainConfig(epochs=4, batch_size=8, lr=3e-3, warmup_epochs=1, seed=3, model_kwargs={})


def _model():
    torch.manual_seed(0)
    return CompactCNN(2, n_mels=16, width=8)


def test_training_learns_a_separable_toy_task():
    x, y = _toy()
    model = _model()
    history = train_network(model, x, y, CFG, 2, x_val=x, y_val=y)
    assert history.train_loss[-1] < history.train_loss[0]
    _, _, acc = evaluate(model, *_toy(seed=1))
    assert acc >= 0.9


def test_resume_from_checkpoint_matches_an_uninterrupted_run(tmp_path):
    x, y = _toy()
    straight = _model()
    train_network(straight, x, y, CFG, 2)
    ckpt = tmp_path / "ckpt.pt"
    interrupted = _model()

    class Killed(Exception):
        pass

    def kill_after_two(epoch, _):
        if epoch == 2:
            raise Killed

    with pytest.raises(Killed):
        train_network(interrupted, x, y, CFG, 2, checkpoint=ckpt, on_epoch=kill_after_two)
    # a new process would rebuild the model from scratch, then resume from the checkpoint
    resumed = _model()
    history = train_network(resumed, x, y, CFG, 2, checkpoint=ckpt)
    assert len(history.train_loss) == 4
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b)


def test_schedule_warms_up_then_decays_to_zero():
    f = warmup_cosine(100, 10)
    assert f(0) < f(5) < f(9) == 1.0
    assert f(55) < 1.0 and abs(f(100)) < 1e-9


def test_the_trained_model_is_the_weight_average_and_the_last_step_is_reported():
    x, y = _toy()
    averaged, plain = _model(), _model()
    history = train_network(averaged, x, y, CFG, 2, x_val=x, y_val=y)
    no_average = train_network(plain, x, y, replace(CFG, ema_decay=0.0), 2, x_val=x, y_val=y)
    assert history.final_raw_val_acc is not None and no_average.final_raw_val_acc is None
    # same seed, same steps: the raw weights of both runs agree, so the difference is the average
    assert history.final_raw_val_acc == no_average.val_acc[-1]
    differs = [not torch.equal(a, b) for a, b in zip(averaged.state_dict().values(), plain.state_dict().values())]
    assert any(differs)


def test_fractional_warmup_epochs_become_whole_steps(monkeypatch):
    """Offline-augmented data has more steps per epoch; an equal-step comparison needs warm-up in fractions."""
    import envsound.training.loop as loop

    seen = []
    real = loop.warmup_cosine
    monkeypatch.setattr(loop, "warmup_cosine", lambda total, warmup: seen.append((total, warmup)) or real(total, warmup))
    x, y = _toy()
    train_network(_model(), x, y, replace(CFG, epochs=1, warmup_epochs=0.5), 2)
    steps = -(-len(x) // CFG.batch_size)
    assert seen == [(steps, round(0.5 * steps))]
    with pytest.raises(ConfigError):
        replace(CFG, warmup_epochs=-1)


@pytest.mark.parametrize("freeze", [False, True])
def test_freeze_norm_stats_keeps_batchnorm_statistics(freeze):
    x, y = _toy()
    model = _model()
    before = [b.clone() for name, b in model.named_buffers() if name.endswith("running_mean")]
    cfg = replace(CFG, epochs=1, freeze_norm_stats=freeze, ema_decay=0.0)
    train_network(model, x, y, cfg, 2)
    after = [b for name, b in model.named_buffers() if name.endswith("running_mean")]
    unchanged = all(torch.equal(a, b) for a, b in zip(before, after))
    assert unchanged == freeze
    weights_moved = any(not torch.equal(a, b) for a, b in zip(_model().parameters(), model.parameters()))
    assert weights_moved  # the layers still train
