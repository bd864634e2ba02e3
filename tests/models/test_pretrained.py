"""The AudioSet MobileNet: strict checkpoint loading, exact front end, and real-audio sanity."""

from __future__ import annotations

import csv
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import torch

from envsound.audio import load_audio
from envsound.data import load_esc50
from envsound.errors import ConfigError, DownloadError
from envsound.features.efficientat import EfficientATFrontEnd
from envsound.models import weights
from envsound.models.mobilenet import AudioMobileNet
from envsound.models.pretrained import PretrainedClassifier, load_backbone


@pytest.fixture
def offline_weights(shared_weights, monkeypatch):
    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    return shared_weights


def test_checkpoint_loads_strictly(shared_weights):
    state = torch.load(shared_weights / "mn04_as_mAP_432.pt", map_location="cpu", weights_only=True)
    model = AudioMobileNet(width=0.4)
    model.load_state_dict(state, strict=True)  # raises on any missing, unexpected or mis-shaped tensor
    logits, embedding = model.eval()(torch.zeros(2, 1, 128, 100))
    assert logits.shape == (2, 527) and embedding.shape == (2, 384)


@pytest.mark.parametrize("name", [n for n, c in weights.CHECKPOINTS.items() if c.family == "mn"])
def test_every_listed_width_has_the_published_parameter_count(name):
    """The larger checkpoints cannot be loaded offline; their published sizes pin the architecture
    (a head sized for mn04 at every width once made each of them fail to load)."""
    ckpt = weights.CHECKPOINTS[name]
    params = sum(p.numel() for p in AudioMobileNet(width=ckpt.width).parameters()) / 1e6
    last_digit = 0.001 if ckpt.params_millions < 1 else 0.01  # the published figure's precision
    assert abs(params - ckpt.params_millions) < last_digit


def test_dynamic_mobilenets_are_listed_but_say_they_cannot_be_built():
    with pytest.raises(ConfigError, match="dymn10_as is a dynamic MobileNet .* use one of mn04_as, mn05_as"):
        load_backbone("dymn10_as")


def _reference_front_end(x: np.ndarray) -> np.ndarray:
    """Straight from the README's recipe, in float64 numpy, independent of envsound's code."""
    sr, n_fft, win, hop, n_mels = 32000, 1024, 800, 320, 128
    y = x[1:] - 0.97 * x[:-1]
    y = np.pad(y, n_fft // 2, mode="reflect")
    window = np.zeros(n_fft)
    start = (n_fft - win) // 2
    window[start : start + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / (win - 1))
    frames = np.stack([y[i : i + n_fft] * window for i in range(0, len(y) - n_fft + 1, hop)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (frames, 513)
    mel_of = lambda f: 1127.0 * np.log(1 + f / 700.0)  # noqa: E731
    edges = np.linspace(mel_of(0.0), mel_of(15000.0), n_mels + 2)
    fb = np.zeros((n_mels, n_fft // 2 + 1))
    for m in range(n_mels):
        for k in range(n_fft // 2):  # bin 512 (Nyquist) keeps weight 0
            mk = mel_of(k * sr / n_fft)
            if edges[m] < mk < edges[m + 2]:
                fb[m, k] = (mk - edges[m]) / (edges[m + 1] - edges[m]) if mk <= edges[m + 1] else (edges[m + 2] - mk) / (edges[m + 2] - edges[m + 1])
    mel = fb @ power.T
    return (np.log(mel + 1e-5) + 4.5) / 5


def test_front_end_matches_numpy_reference():
    rng = np.random.default_rng(0)
    t = np.arange(32000) / 32000
    x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)
    ours = EfficientATFrontEnd()(torch.from_numpy(x)[None])[0, 0].numpy()
    ref = _reference_front_end(x.astype(np.float64))
    assert ours.shape == ref.shape == (128, 100)
    assert np.abs(ours - ref).max() < 2e-3


@pytest.mark.parametrize("n_fft", [1024, 1000])  # 1024 = 32 x 32: the factored DFT; 1000: the plain DFT matrix
def test_the_exported_power_spectrum_is_torch_stft_at_any_length(n_fft):
    from dataclasses import replace

    from envsound.features.efficientat import EfficientATFrontEndConfig

    front = EfficientATFrontEnd(replace(EfficientATFrontEndConfig(), n_fft=n_fft))
    c = front.config
    signal = torch.from_numpy(np.random.default_rng(0).standard_normal((2, 50001)).astype(np.float32))
    stft = torch.stft(signal, c.n_fft, hop_length=c.hop_length, win_length=c.win_length, window=front.window, center=True, return_complex=True)
    expected = stft.abs().square()
    got = front._power_for_onnx(signal)
    assert got.shape == expected.shape
    assert float((got - expected).abs().max() / expected.abs().max()) < 1e-5


AUDIOSET_MATCH = {
    "dog": {"Dog", "Bark", "Bow-wow", "Yip", "Growling", "Whimper (dog)"},
    "rooster": {"Chicken, rooster", "Crowing, cock-a-doodle-doo", "Fowl"},
    "siren": {"Siren", "Civil defense siren", "Emergency vehicle", "Police car (siren)", "Ambulance (siren)", "Fire engine, fire truck (siren)"},
    "church_bells": {"Church bell", "Bell", "Change ringing (campanology)"},
    "chainsaw": {"Chainsaw"},
    "rain": {"Rain", "Rain on surface", "Raindrop"},
    "crow": {"Crow", "Caw"},
    "cat": {"Cat", "Meow", "Purr", "Caterwaul", "Hiss"},
}


@pytest.mark.slow
def test_audioset_head_recognises_clear_esc50_classes(esc50_root, offline_weights):
    names = [r["display_name"] for r in csv.DictReader(open(offline_weights / "audioset_class_labels_indices.csv"))]
    model, front_end = load_backbone("mn04_as"), EfficientATFrontEnd()
    manifest = load_esc50(esc50_root)
    hits = total = 0
    for label, expected in AUDIOSET_MATCH.items():
        clips = [c for c in manifest.clips if c.label == label][:8]
        batch = torch.from_numpy(np.stack([load_audio(c.path, 32000, 5.0) for c in clips]))
        with torch.inference_mode():
            logits, _ = model(front_end(batch))
        for row in logits.topk(5, dim=1).indices:
            hits += bool({names[i] for i in row.tolist()} & expected)
            total += 1
    assert hits / total >= 0.75, f"only {hits}/{total} clips had a matching AudioSet tag in the top 5"


def test_finetuning_through_the_training_loop_reduces_loss(offline_weights):
    """mn04_finetune as `envsound cv` trains it: the one loop, online augmentation included."""
    from envsound.config import TrainConfig
    from envsound.training.loop import train_network

    torch.manual_seed(0)
    model = PretrainedClassifier(n_classes=2)
    t = np.arange(32000) / 32000
    waves = [np.sin(2 * np.pi * f * t) * 0.3 for f in (200, 250, 300, 3000, 3500, 4000)] * 2
    x = EfficientATFrontEnd()(torch.tensor(np.stack(waves), dtype=torch.float32))
    y = torch.tensor([0, 0, 0, 1, 1, 1] * 2)
    cfg = TrainConfig(model="mn04_finetune", epochs=4, batch_size=6, lr=1e-3, warmup_epochs=1, mixup_alpha=0.0)
    history = train_network(model, x, y, cfg, 2, x_val=x, y_val=y)
    assert history.val_loss[-1] < history.val_loss[0]


def _sine_batch() -> tuple[torch.Tensor, torch.Tensor]:
    t = np.arange(32000) / 32000
    waves = [np.sin(2 * np.pi * f * t) * 0.3 for f in (200, 250, 300, 3000, 3500, 4000)] * 2
    x = EfficientATFrontEnd()(torch.tensor(np.stack(waves), dtype=torch.float32))
    return x, torch.tensor([0, 0, 0, 1, 1, 1] * 2)


def test_probe_head_init_is_the_probe_on_the_backbone_embeddings(offline_weights):
    """LP-FT's first stage: the head the network starts from gives the probe's probabilities."""
    from envsound.models.classic import linear_probe

    torch.manual_seed(0)
    model = PretrainedClassifier(n_classes=3).train()
    x, y = _sine_batch()
    model.fit_head_probe(x, y)
    assert model.training  # left as it was found
    model.eval()
    with torch.inference_mode():
        embeddings = model.backbone(x)[1].numpy()
        ours = model(x).softmax(1).numpy()
    probe = linear_probe().fit(embeddings, y.numpy())
    assert (ours[:, 2] < 1e-3).all()  # class 2 has no training clip: starts improbable, not random
    seen = ours[:, :2] / ours[:, :2].sum(1, keepdims=True)
    np.testing.assert_allclose(seen, probe.predict_proba(embeddings), atol=1e-5)


def test_head_init_probe_through_the_loop(offline_weights):
    from envsound.config import TrainConfig
    from envsound.models.cnn import CompactCNN
    from envsound.training.loop import train_network

    x, y = _sine_batch()
    cfg = TrainConfig(model="mn04_finetune", epochs=1, batch_size=6, lr=1e-7, warmup_epochs=0, mixup_alpha=0.0, head_init="probe")
    torch.manual_seed(0)
    history = train_network(PretrainedClassifier(n_classes=2), x, y, cfg, 2, x_val=x, y_val=y)
    assert history.val_acc[0] == 1.0  # the probe separates low from high tones before any step
    with pytest.raises(ConfigError, match="head_init='probe' needs a pretrained backbone"):
        train_network(CompactCNN(2, n_mels=128), x, y, cfg, 2)
    with pytest.raises(ConfigError, match="head_init"):
        TrainConfig(head_init="imagenet")


@pytest.mark.slow
def test_wise_alpha_keeps_the_average_of_the_lpft_start_and_the_tuned_weights(offline_weights, tmp_path):
    from envsound.config import TrainConfig
    from envsound.training.loop import train_network

    x, y = _sine_batch()
    recipe = dict(model="mn04_finetune", epochs=1, batch_size=6, lr=1e-3, warmup_epochs=0, mixup_alpha=0.0, head_init="probe", ema_decay=0.0)
    torch.manual_seed(0)
    start = PretrainedClassifier(n_classes=2)
    start.fit_head_probe(x, y)
    networks = {}
    for alpha in (1.0, 0.5):
        torch.manual_seed(0)
        networks[alpha] = PretrainedClassifier(n_classes=2)
        train_network(networks[alpha], x, y, TrainConfig(**recipe, wise_alpha=alpha), 2)
    start_w, tuned_w, wise_w = (m.state_dict() for m in (start, networks[1.0], networks[0.5]))
    assert any(not torch.equal(start_w[k], tuned_w[k]) for k in tuned_w)  # training moved the weights
    for key, value in wise_w.items():
        expected = (start_w[key] + tuned_w[key]) / 2 if value.is_floating_point() else tuned_w[key]
        torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-6, msg=key)
    # killed after its first epoch and resumed in a fresh network: the start comes from the checkpoint
    class Killed(Exception):
        pass

    def kill(epoch, _):
        raise Killed

    checkpoint = tmp_path / "checkpoint.pt"
    two_epochs = TrainConfig(**{**recipe, "epochs": 2}, wise_alpha=0.5)
    torch.manual_seed(0)
    straight = PretrainedClassifier(n_classes=2)
    train_network(straight, x, y, two_epochs, 2)
    torch.manual_seed(0)
    with pytest.raises(Killed):
        train_network(PretrainedClassifier(n_classes=2), x, y, two_epochs, 2, checkpoint=checkpoint, on_epoch=kill)
    resumed = PretrainedClassifier(n_classes=2)  # a new process: a fresh head, never probe-fitted
    train_network(resumed, x, y, two_epochs, 2, checkpoint=checkpoint)
    for key, value in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=1e-5, atol=1e-6, msg=key)
    with pytest.raises(ConfigError, match="wise_alpha below 1 needs head_init='probe'"):
        TrainConfig(wise_alpha=0.5)
    with pytest.raises(ConfigError, match="wise_alpha must be in"):
        TrainConfig(head_init="probe", wise_alpha=0.0)


def test_download_from_local_server_with_checksum(shared_weights, tmp_path, monkeypatch):
    handler = partial(SimpleHTTPRequestHandler, directory=str(shared_weights))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.delenv("ENVSOUND_WEIGHTS", raising=False)
        monkeypatch.setenv("ENVSOUND_WEIGHTS_CACHE", str(tmp_path / "cache"))
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        with pytest.raises(DownloadError, match="not found offline"):
            weights.weights_path("mn04_as", download=False)
        path = weights.weights_path("mn04_as", url=base + "mn04_as_mAP_432.pt")
        assert path.parent == tmp_path / "cache" and weights.verify("mn04_as", path)
        assert weights.weights_path("mn04_as", download=False) == path  # cached now
        path.unlink()
        with pytest.raises(DownloadError, match="sha256 mismatch"):
            weights.weights_path("mn04_as", url=base + "LICENSE")
    finally:
        server.shutdown()
