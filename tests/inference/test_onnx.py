"""ONNX export: the front end inside the graph (waveform in) or in NumPy, both matching torch on real clips."""

import json

import numpy as np
import pytest
import torch

from conftest import REPO, tone
from envsound.audio import load_audio
from envsound.features.efficientat import EfficientATLogMelExtractor
from envsound.features.logmel import LogMelConfig, LogMelExtractor
from envsound.features.numpy_frontend import numpy_front_end
from envsound.inference.onnx_export import export_onnx
from envsound.inference.onnx_runtime import OnnxScorer
from envsound.inference.predict import Predictor
from envsound.inference.shipped import default_model_path
from envsound.models.model_file import load_model

EXAMPLES = sorted((REPO / "examples").glob("*.flac"))


@pytest.mark.parametrize("extractor", [LogMelExtractor(LogMelConfig(clip_seconds=1.0)), EfficientATLogMelExtractor(clip_seconds=1.0)], ids=["logmel", "efficientat"])
def test_numpy_front_end_matches_torch(extractor):
    rate = extractor.sample_rate
    x = np.stack([tone(440, 1.0, sr=rate, noise=0.05), tone(3000, 1.0, sr=rate, noise=0.2, seed=1)])
    ours = numpy_front_end(extractor.describe())(x)
    ref = extractor(x)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() < 1e-3


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return export_onnx(default_model_path(), tmp_path_factory.mktemp("onnx") / "esc50.onnx")


@pytest.fixture(scope="module")
def exported_numpy(tmp_path_factory):
    return export_onnx(default_model_path(), tmp_path_factory.mktemp("onnx") / "esc50-features.onnx", front_end="numpy")


def _torch_logits(waves):
    loaded = load_model(default_model_path())
    with torch.inference_mode():
        return loaded.model(torch.from_numpy(loaded.extractor(waves))).numpy()


@pytest.mark.slow
def test_the_whole_front_end_is_in_the_graph_and_matches_torch(exported):
    """Waveform in, logits out: the DFT (as matrix products) and mel inside the file give torch's
    logits within 1e-4 on real clips (and on two lengths, since the graph takes any)."""
    import onnx

    assert json.loads(exported.with_name(exported.name + ".json").read_text())["input"] == "waveform"
    assert {node.op_type for node in onnx.load(str(exported)).graph.node if node.name.startswith("/front_end/")} >= {"MatMul", "Concat"}
    scorer = OnnxScorer(exported)
    assert scorer.input_name == "waveform"
    for seconds in (5.0, 2.0):
        waves = np.stack([load_audio(p, 32000, seconds) for p in EXAMPLES])
        assert np.abs(scorer.logits(waves) - _torch_logits(waves)).max() <= 1e-4


@pytest.mark.slow
def test_features_in_export_still_matches_torch(exported_numpy):
    loaded = load_model(default_model_path())
    waves = np.stack([load_audio(p, 32000, 5.0) for p in EXAMPLES])
    ours = OnnxScorer(exported_numpy).logits(loaded.extractor(waves))
    assert np.abs(ours - _torch_logits(waves)).max() <= 1e-4
    predictor = Predictor.from_file(exported_numpy)
    assert predictor.predict_file(EXAMPLES[0], top_k=1).labels == Predictor.from_file(default_model_path()).predict_file(EXAMPLES[0], top_k=1).labels


@pytest.mark.slow
def test_int8_export_is_smaller_and_still_a_classifier(tmp_path, exported):
    small = export_onnx(default_model_path(), tmp_path / "int8.onnx", int8=True)
    assert small.stat().st_size < 0.6 * exported.stat().st_size
    assert json.loads(small.with_name(small.name + ".json").read_text())["int8"] is True
    prediction = Predictor.from_file(small).predict_file(EXAMPLES[0], top_k=3)
    assert len(prediction.labels) == 3 and 0 < prediction.probabilities[0] <= 1


def test_in_graph_front_end_needs_opset_17(tmp_path):
    from envsound.errors import ConfigError

    with pytest.raises(ConfigError, match="opset 17"):
        export_onnx(default_model_path(), tmp_path / "old.onnx", opset=13)


@pytest.mark.slow
def test_onnx_backend_predicts_like_torch(exported):
    torch_p, onnx_p = Predictor.from_file(default_model_path()), Predictor.from_file(exported, backend="onnx")
    assert onnx_p.loaded is None  # no torch model behind it
    assert (torch_p.batch_windows(), onnx_p.batch_windows()) == (8, 1)  # each backend's fastest batch here (throughput.json)
    assert (torch_p.batch_windows(2.0), onnx_p.batch_windows(2.0)) == (20, 2)  # sized by audio: 2-s timeline windows
    for path in EXAMPLES:
        a, b = torch_p.predict_file(path, top_k=3), onnx_p.predict_file(path, top_k=3)
        assert a.labels == b.labels
        np.testing.assert_allclose(a.probabilities, b.probabilities, atol=1e-3)
        # Novelty travels too: the graph's whitened embedding gives the torch model's Mahalanobis distance.
        assert a.novelty is not None and b.novelty == pytest.approx(a.novelty, rel=1e-3)
        assert a.abstained == b.abstained


def test_missing_sidecar_is_a_clear_error(exported, tmp_path):
    from envsound.errors import RunError

    lone = tmp_path / "x.onnx"
    lone.write_bytes(exported.read_bytes())
    with pytest.raises(RunError, match="not found"):
        Predictor.from_file(lone)


def test_a_damaged_novelty_entry_in_the_sidecar_is_one_clear_error(exported, tmp_path):
    from envsound.errors import RunError

    copy = tmp_path / "x.onnx"
    copy.write_bytes(exported.read_bytes())
    meta = json.loads(exported.with_name(exported.name + ".json").read_text())
    meta["novelty_whitened_means"] = [["not a number"]]
    copy.with_name(copy.name + ".json").write_text(json.dumps(meta))
    with pytest.raises(RunError, match="not a valid export sidecar"):
        Predictor.from_file(copy)


@pytest.mark.slow
def test_an_exposure_cut_travels_to_onnx(tmp_path):
    """A model calibrated with an exposure set: its outlier centroids go to the sidecar in the
    graph's whitened space, so the ONNX backend abstains on the exposure cut where torch does."""
    from dataclasses import replace

    from envsound.models.calibration import Novelty
    from envsound.models.model_file import save_model

    loaded = load_model(default_model_path())
    embedding = Predictor.from_file(default_model_path()).window_scores(load_audio(EXAMPLES[0], 32000, seconds=5.0)[None])[1]
    # One centroid on the first example's own embedding: that clip is nearer the "exposure set" than any class.
    outliers = np.vstack([embedding, loaded.novelty.means[:7] + 50.0])
    novelty = Novelty(loaded.novelty.means, loaded.novelty.precision, outliers)
    calibration = replace(loaded.calibration, exposure_above=0.0)
    path = save_model(tmp_path / "oe.pt", loaded.spec, loaded.model, loaded.classes, loaded.config, loaded.info, calibration, novelty)
    exported = export_onnx(path, tmp_path / "oe.onnx")
    assert len(json.loads((tmp_path / "oe.onnx.json").read_text())["novelty_whitened_outliers"]) == 8
    assert json.loads((tmp_path / "oe.onnx.json").read_text())["novelty_exposure_form"] == "difference"
    torch_p, onnx_p = Predictor.from_file(path), Predictor.from_file(exported, backend="onnx")
    assert onnx_p.novelty.outliers is not None and onnx_p.calibration.exposure_above == 0.0
    for clip in EXAMPLES[:2]:
        a, b = torch_p.predict_file(clip), onnx_p.predict_file(clip)
        assert a.abstained == b.abstained
    assert torch_p.predict_file(EXAMPLES[0]).abstained and onnx_p.predict_file(EXAMPLES[0]).abstained
    # listen reads the same cut, window by window, and its segments too
    from envsound.inference.listen import Listener

    heard = []
    summary = Listener(torch_p, window_seconds=5.0, hop_seconds=2.5, keep_up=False).listen([load_audio(EXAMPLES[0], 32000, seconds=5.0)], heard.append)
    assert heard[0].answer == "unknown" and summary.segments[0].label == "unknown"


@pytest.mark.parametrize("tamper, message", [
    (lambda m: m.update(classes=[m["classes"][1], m["classes"][0], *m["classes"][2:]]), "changed after export"),
    (lambda m: m.update(classes=m["classes"][:-1], n_classes=len(m["classes"]) - 1), "changed after export"),
    (lambda m: m.pop("graph_sha256"), "not bound to its graph"),
    (lambda m: m.update(graph_sha256="0" * 64), "belongs to another graph"),
])
def test_a_sidecar_is_bound_to_its_graph(exported, tmp_path, tamper, message):
    """Swapping two class names in the sidecar once made a dog 'rooster 100 %'; a 49-class sidecar
    was accepted for a 50-class graph."""
    import shutil

    from envsound.errors import RunError

    copy = tmp_path / "x.onnx"
    shutil.copy(exported, copy)
    meta = json.loads(exported.with_name(exported.name + ".json").read_text())
    tamper(meta)
    (tmp_path / "x.onnx.json").write_text(json.dumps(meta))
    with pytest.raises(RunError, match=message):
        Predictor.from_file(copy)
