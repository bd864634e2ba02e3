"""Model files and checkpoints never run code from the file, and damage is caught, not predicted with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from envsound.config import RunConfig, TrainConfig
from envsound.errors import RunError
from envsound.models.artifact import (
    Artifact,
    estimator_from_bytes,
    load_artifact,
    save_artifact,
)
from envsound.models.model_file import load_model, save_model, upgrade_model
from envsound.models.registry import get_model, resolve


class _Planted:
    """What a hostile pickle carries: unpickling it calls ``Path.touch`` on the marker."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _tiny_cfg() -> RunConfig:
    return resolve(RunConfig(train=TrainConfig(model="compact", model_kwargs={"width": 8})))


def _tiny_model_file(path: Path) -> Path:
    cfg = _tiny_cfg()
    spec = get_model("compact")
    return save_model(path, spec, spec.build(3, cfg), ("a", "b", "c"), cfg, {"note": "tiny"})


def test_crafted_pickle_in_a_model_file_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": "envsound-model", "payload": _Planted(marker)}, evil)
    with pytest.raises(RunError, match="pickled Python objects"):
        load_model(evil)
    with pytest.raises(RunError):
        upgrade_model(evil, tmp_path / "new.pt")
    assert not marker.exists()


def test_crafted_pickle_via_the_cli_runs_nothing(tmp_path, cli_run):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"x": _Planted(marker)}, evil)
    clip = Path(__file__).resolve().parents[2] / "examples" / "1-100032-A-0.flac"
    for args in (["predict", str(clip), "--model", str(evil)], ["export", str(evil), "--onnx", str(tmp_path / "m.onnx")]):
        result = cli_run(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert not marker.exists()


def test_crafted_pickle_as_a_checkpoint_runs_nothing(tmp_path):
    from envsound.training.loop import train_network

    marker = tmp_path / "pwned"
    checkpoint = tmp_path / "checkpoint.pt"
    torch.save({"model": _Planted(marker)}, checkpoint)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    x, y = torch.randn(8, 4), torch.tensor([0, 1] * 4)
    history = train_network(model, x, y, TrainConfig(epochs=1, batch_size=4, warmup_epochs=0, mixup_alpha=0, ema_decay=0), 2, checkpoint)
    assert not marker.exists() and len(history.train_loss) == 1  # refused, trained afresh


def test_round_trip_and_a_flipped_byte_is_one_clear_error(tmp_path):
    path = _tiny_model_file(tmp_path / "m.pt")
    loaded = load_model(path)
    assert loaded.classes == ("a", "b", "c") and loaded.info == {"note": "tiny"}
    data = bytearray(path.read_bytes())
    # flip one byte inside the largest tensor's storage (the file is a zip of raw storages)
    import zipfile

    with zipfile.ZipFile(path) as z:
        biggest = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
        offset = biggest.header_offset + 30 + len(biggest.filename.encode()) + len(biggest.extra)
    target = offset + biggest.file_size // 2
    data[target] ^= 0x01
    bad = tmp_path / "flipped.pt"
    bad.write_bytes(bytes(data))
    with pytest.raises(RunError, match="checksum mismatch"):
        load_model(bad)


def test_envsound_01_files_name_the_upgrade_and_it_works(tmp_path, cli_run):
    cfg = _tiny_cfg()
    net = get_model("compact").build(3, cfg)
    old = tmp_path / "old.pt"
    torch.save({"format": "envsound-model", "version": 1, "envsound": "0.1.0", "model": "compact", "classes": ["a", "b", "c"],
                "run": cfg.to_dict(), "info": {"k": 1}, "state_dict": net.state_dict()}, old)
    with pytest.raises(RunError, match="envsound upgrade-model"):
        load_model(old)
    result = cli_run("upgrade-model", str(old), "--out", str(tmp_path / "new.pt"))
    assert result.returncode == 0, result.stderr
    loaded = load_model(tmp_path / "new.pt")
    x = torch.randn(2, *loaded.extractor.output_shape)
    with torch.inference_mode():
        assert torch.equal(loaded.model(x), net.eval()(x))


def test_classic_estimators_travel_as_skops_and_foreign_types_are_refused(tmp_path):
    import numpy as np
    import skops.io
    from sklearn.linear_model import LogisticRegression

    cfg = resolve(RunConfig(train=TrainConfig(model="logreg")))
    x, y = np.random.default_rng(0).standard_normal((20, 5)), np.array([0, 1] * 10)
    fitted = LogisticRegression().fit(x, y)
    path = save_model(tmp_path / "c.pt", get_model("logreg"), fitted, ("a", "b"), cfg)
    assert np.allclose(load_model(path).model.predict_proba(x), fitted.predict_proba(x))
    blob = skops.io.dumps({"model": fitted, "callback": json.loads})  # a function outside scikit-learn
    with pytest.raises(RunError, match="does not trust"):
        estimator_from_bytes(blob)


def test_artifact_kind_and_version_are_checked(tmp_path):
    path = save_artifact(tmp_path / "a.pt", Artifact("something-else", 1, {"x": 1}, {"w": torch.ones(2)}))
    with pytest.raises(RunError, match="not a envsound-model file"):
        load_artifact(path, "envsound-model", 2)
    assert load_artifact(path, "something-else", 1).meta == {"x": 1}


def test_a_trained_model_file_names_the_licences_it_follows():
    from envsound.models.weights import license_note

    assert license_note("esc50", "CC BY-NC 3.0", "mn04_as") == "weights derived from EfficientAT mn04_as (MIT, (c) 2022 Florian Schmid); trained on esc50, licensed CC BY-NC 3.0"
    assert license_note("mine", None, None) == "trained on mine, whose licence envsound cannot know"


def test_the_backbone_a_config_starts_from():
    from envsound.config import RunConfig
    from envsound.models.registry import backbone_checkpoint

    assert backbone_checkpoint(resolve(RunConfig().with_train(model="mn04_finetune"))) == "mn04_as"
    assert backbone_checkpoint(resolve(RunConfig().with_train(model="mn04_finetune", model_kwargs={"checkpoint": "mn10_as"}))) == "mn10_as"
    assert backbone_checkpoint(resolve(RunConfig().with_train(model="mn04_probe"))) == "mn04_as"
    assert backbone_checkpoint(resolve(RunConfig().with_train(model="compact"))) is None


def _features(run: dict, **changes: object) -> dict:
    return {**run, "features": {**run["features"], **changes}}


@pytest.mark.parametrize("change, message", [
    (lambda m: m["calibration"].update(temperature=0.0), "temperature"),
    (lambda m: m["calibration"].update(temperature=-1.0), "temperature"),
    (lambda m: m["calibration"].update(abstain_below=2.0), "abstain_below"),
    (lambda m: m["calibration"].update(surprise=1), "unknown fields"),
    (lambda m: m.update(classes=m["classes"][:-1] + [m["classes"][0]]), "one twice"),
    (lambda m: m.update(classes=[]), "no classes"),
    (lambda m: m["background"].update(threshold=1.5), "background detector"),
    (lambda m: m.update(ensemble_size=1), "ensemble_size"),
    (lambda m: m.update(run=_features(m["run"], sample_rate=16000)), "trained with sample_rate 32000"),
    (lambda m: m.update(run=_features(m["run"], n_mels=64)), "trained with n_mels 128"),
    (lambda m: m.update(run=_features(m["run"], sample_rate=0)), "sample_rate 32000, not 0"),
    (lambda m: m.update(run=_features(m["run"], clip_seconds=0.001)), "clip_seconds must be from"),
    (lambda m: m.update(run=_features(m["run"], clip_seconds="5")), "clip_seconds must be a"),
])
def test_metadata_that_lies_is_refused_even_with_a_recomputed_checksum(tmp_path, change, message):
    """The checksum proves a file is intact, not that it is sane: every field is checked on load."""
    from envsound.inference.shipped import shipped_model_path
    from envsound.models.artifact import load_artifact, save_artifact
    from envsound.models.model_file import FORMAT, VERSION, load_model, model_card

    artifact = load_artifact(shipped_model_path("fast"), FORMAT, VERSION)
    change(artifact.meta)
    path = save_artifact(tmp_path / "lying.pt", artifact)
    with pytest.raises(RunError, match=message):
        load_model(path)
    if message != "background detector":
        with pytest.raises(RunError, match=message):
            model_card(path)


@pytest.mark.parametrize("content, words", [(b'{"classes": []}', "JSON"), (b"hello\n", "a text file"), (b"", "an empty file")])
def test_a_file_that_is_not_a_model_says_what_it_is(tmp_path, content, words):
    from envsound.models.model_file import load_model

    path = tmp_path / "x.pt"
    path.write_bytes(content)
    with pytest.raises(RunError, match=f"not an envsound model file; it looks like {words}"):
        load_model(path)


def test_a_calibration_of_nan_is_refused():
    from envsound.models.calibration import Calibration

    with pytest.raises(ValueError, match="temperature"):
        Calibration.from_dict({"temperature": float("nan")})
