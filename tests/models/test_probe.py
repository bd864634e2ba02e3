"""The linear probe: folded into a network head exactly, and well above chance on real clips."""

import numpy as np
import pytest
import torch

from envsound.config import RunConfig
from envsound.errors import ConfigError
from envsound.models.pretrained import classifier_from_probe
from envsound.models.registry import get_model, resolve


def test_probe_folds_into_the_linear_head(shared_weights, monkeypatch):
    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(90, 384)).astype(np.float32)
    y = np.repeat(np.arange(3), 30)
    x[y == 1, :5] += 4
    probe = get_model("mn04_probe").build(3, resolve(RunConfig().with_train(model="mn04_probe")))
    probe.fit(x, y)
    head = classifier_from_probe(probe, 3).head
    with torch.inference_mode():
        ours = head(torch.from_numpy(x)).softmax(1).numpy()
    np.testing.assert_allclose(ours, probe.predict_proba(x), atol=1e-5)


@pytest.mark.slow
def test_linear_probe_on_a_real_slice(esc50_root, shared_weights, monkeypatch, tmp_path):
    from dataclasses import replace

    from envsound.training.crossval import cross_validate

    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    cfg = replace(RunConfig(dataset="esc10", data_root=str(esc50_root), folds=(1,)).with_train(model="mn04_probe"))
    metrics = cross_validate(cfg, tmp_path / "run", verbose=False)
    assert metrics["mean_accuracy"] >= 0.8  # chance 0.1
    # config.json says what ran: the backbone's own front end, none of the CNN's training settings
    import json

    saved = json.loads((tmp_path / "run" / "config.json").read_text())["run"]
    assert saved["features"]["kind"] == "efficientat-embedding"
    assert saved["features"]["sample_rate"] == 32000 and saved["features"]["n_mels"] == 128 and saved["features"]["checkpoint"] == "mn04_as"
    assert set(saved["train"]) == {"model", "model_kwargs", "seed"}


def test_old_configs_resolve_to_the_front_end_their_model_read():
    """configs/mn04_probe_views.json predates front-end kinds: views sat in model_kwargs."""
    import json

    from conftest import REPO
    from envsound.models.registry import run_config_dict

    old = RunConfig.from_dict(json.loads((REPO / "src" / "envsound" / "configs" / "mn04_probe_views.json").read_text()))
    assert old.features.to_dict()["kind"] == "logmel"
    new = resolve(old)
    assert new.features.views == ("mean", "time_max", "hidden", "audioset") and new.train.model_kwargs == {}
    assert resolve(new) is new and resolve(RunConfig.from_dict(run_config_dict(new))) == new
    with pytest.raises(ConfigError, match="does not take \\['widht'\\]"):
        resolve(RunConfig().with_train(model="compact", model_kwargs={"widht": 8}))


def test_embedding_views_are_the_backbone_own_outputs(shared_weights, monkeypatch):
    """Each view is what the backbone computes anyway; the extractor and the classifier share them."""
    from envsound.models.embedding import EfficientATEmbeddingExtractor
    from envsound.models.mobilenet import EMBEDDING_VIEWS
    from envsound.models.pretrained import PretrainedClassifier

    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    torch.manual_seed(0)
    model = PretrainedClassifier(4, views=EMBEDDING_VIEWS).eval()
    backbone = model.backbone
    x = torch.randn(2, 1, 128, 200)
    with torch.inference_mode():
        logits, embedding = backbone(x)
        views = model.embed(x)
        maps = backbone.features(x)
    assert model.head.in_features == views.shape[1] == 384 + 384 + 512 + 527
    torch.testing.assert_close(views[:, :384], embedding)
    torch.testing.assert_close(views[:, 384:768], maps.mean(dim=2).amax(dim=2))
    torch.testing.assert_close(views[:, -527:], logits)
    with pytest.raises(ConfigError, match="embedding views must be among"):
        backbone.views(x, ("mean", "attention"))

    default = EfficientATEmbeddingExtractor()
    assert "views" not in default.describe() and default.output_shape == (384,)  # old caches stay valid
    rich = EfficientATEmbeddingExtractor(views=EMBEDDING_VIEWS)
    wave = np.random.default_rng(0).normal(0, 0.1, (1, 32000)).astype(np.float32)
    assert rich.describe()["views"] == list(EMBEDDING_VIEWS) and rich(wave).shape == (1, 1807)
    np.testing.assert_allclose(rich(wave)[:, :384], default(wave), atol=1e-6)
