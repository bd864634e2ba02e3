"""`envsound embed`: the probe's own embeddings for any file, per file and per window, saved safely."""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import write_wav
from envsound.audio import load_audio
from envsound.errors import ConfigError
from envsound.inference.embed import embed_files
from envsound.models.embedding import EfficientATEmbeddingExtractor

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "1-100032-A-0.flac"


@pytest.fixture
def offline_weights(shared_weights, monkeypatch):
    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    return shared_weights


def test_embeddings_per_file_and_window(offline_weights, tmp_path):
    rng = np.random.default_rng(0)
    long = write_wav(tmp_path / "long.wav", rng.normal(0, 0.1, 12 * 8000).astype(np.float32), sr=8000)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio")
    result = embed_files([EXAMPLE, broken, long], views=("mean", "audioset"))

    assert result.files == [str(EXAMPLE), str(long)] and list(result.errors) == [str(broken)]
    assert result.clip.shape == (2, 384 + 527)
    # a 5-s clip is one window; 12 s is cut as `envsound predict` cuts it: half-overlapping, the last flush with the end
    np.testing.assert_array_equal(result.window_file, [0, 1, 1, 1, 1])
    np.testing.assert_allclose(result.window_start, [0.0, 0.0, 2.5, 5.0, 7.0])
    np.testing.assert_allclose(result.clip[1], result.window[1:].mean(axis=0), rtol=1e-6)
    # the clip embedding is exactly what the linear probe trains on for that clip
    probe_features = EfficientATEmbeddingExtractor()(load_audio(EXAMPLE, 32000, seconds=5.0)[None, :])
    np.testing.assert_allclose(result.clip[:1, :384], probe_features, atol=1e-5)

    saved = np.load(result.save(tmp_path / "emb.npz"), allow_pickle=False)
    assert list(saved["files"]) == result.files and saved["window"].shape == (5, 911)
    assert json.loads(str(saved["meta"]))["views"] == ["mean", "audioset"]
    with pytest.raises(ConfigError, match="written as .npz"):
        result.save(tmp_path / "emb.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.wav", "emb.npz", "long.wav"]  # no temp files left


@pytest.mark.slow
def test_embed_cli(offline_weights, tmp_path, cli_run):
    def envsound(*args):
        return cli_run("embed", *map(str, args))

    out = tmp_path / "e.npz"
    done = envsound(EXAMPLE, "--out", out, "--views", "mean,time_max")
    assert done.returncode == 0, done.stderr
    assert "1 files (1 windows) × 768 numbers" in done.stdout and np.load(out)["clip"].shape == (1, 768)
    bad_view = envsound(EXAMPLE, "--out", out, "--views", "mean,attention")
    assert bad_view.returncode == 2 and bad_view.stderr.startswith("error: embedding views must be among") and "Traceback" not in bad_view.stderr
    assert envsound(EXAMPLE, "--out", tmp_path / "e.csv").stderr.strip() == f"error: {tmp_path / 'e.csv'}: embeddings are written as .npz"
