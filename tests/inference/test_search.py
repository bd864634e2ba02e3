"""Find sounds like this one: `envsound index build/add`, `envsound similar`, `embed --model`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from envsound.errors import ConfigError, RunError
from envsound.inference.search import SoundIndex, exact_search, unit_rows

REPO = Path(__file__).resolve().parents[2]


def _index(n: int = 50, dim: int = 8, made_with: str = "backbone:mn04_as:mean") -> SoundIndex:
    rng = np.random.default_rng(0)
    return SoundIndex(unit_rows(rng.standard_normal((n, dim))), [f"f{i}.wav" for i in range(n // 5)], np.repeat(np.arange(n // 5), 5),
                      np.tile(np.arange(5) * 2.5, n // 5), 5.0, made_with)


def test_exact_search_in_chunks_equals_a_full_sort():
    rng = np.random.default_rng(1)
    vectors, queries = unit_rows(rng.standard_normal((1000, 16))), unit_rows(rng.standard_normal((7, 16)))
    similarities, ids = exact_search(vectors, queries, 10, chunk=128)
    expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    assert np.array_equal(ids, expected) and np.all(np.diff(similarities, axis=1) <= 0)


def test_past_the_exact_limit_the_hnsw_graph_finds_what_exact_search_finds(monkeypatch):
    """The graph path (hnswlib, the `search` extra) on an index made larger than the limit: the
    same nearest windows as exact search, similarities not distances, and a top-k longer than
    its search list."""
    pytest.importorskip("hnswlib")
    import envsound.inference.search as search

    monkeypatch.setattr(search, "EXACT_LIMIT", 100)
    index = _index(n=2000, dim=16)
    queries = index.vectors[[3, 700, 1999]] + 0.01
    similarities, ids = index.search(queries, 5)
    exact_similarities, exact_ids = exact_search(index.vectors, unit_rows(queries), 5)
    assert index._graph is not None  # the graph answered, not exact search
    assert ids[:, 0].tolist() == exact_ids[:, 0].tolist() == [3, 700, 1999]
    np.testing.assert_allclose(similarities[:, 0], exact_similarities[:, 0], atol=1e-5)
    wide_similarities, wide_ids = index.search(queries[:1], search.HNSW_EF_SEARCH + 16)
    assert wide_ids.shape == (1, search.HNSW_EF_SEARCH + 16) and np.all(np.diff(wide_similarities[0]) <= 1e-6)


def test_an_index_round_trips_and_refuses_a_changed_file(tmp_path):
    index = _index()
    index.save(tmp_path / "idx")
    loaded = SoundIndex.load(tmp_path / "idx")
    similarities, ids = loaded.search(index.vectors[12], 3)
    hits = loaded.hits(similarities[0], ids[0])
    assert ids[0][0] == 12 and hits[0].file == "f2.wav" and hits[0].start == 5.0 and hits[0].end == 10.0 and hits[0].similarity == pytest.approx(1.0, abs=1e-5)
    windows = json.loads((tmp_path / "idx" / "windows.json").read_text())
    windows["files"][0] = "/etc/passwd"
    (tmp_path / "idx" / "windows.json").write_text(json.dumps(windows))
    with pytest.raises(RunError, match="does not match its index.json"):
        SoundIndex.load(tmp_path / "idx")
    with pytest.raises(RunError, match="not an envsound index"):
        SoundIndex.load(tmp_path)


def test_adding_windows_of_another_embedding_is_refused():
    with pytest.raises(ConfigError, match="same --model"):
        _index().add(_index(made_with="fast"))
    both = _index().add(_index())
    assert len(both) == 100 and both.window_file.max() == 19


@pytest.mark.slow
def test_index_build_add_and_similar_find_the_same_sound(cli, tmp_path, shared_weights, monkeypatch):
    monkeypatch.setenv("ENVSOUND_WEIGHTS", str(shared_weights))
    clips = sorted((REPO / "examples").glob("*.flac"))
    (tmp_path / "sounds").mkdir()
    for clip in clips[:4]:
        shutil.copy(clip, tmp_path / "sounds" / clip.name)
    code, out, err = cli("index", "build", tmp_path / "sounds", "--out", tmp_path / "idx")
    assert code == 0, err
    code, out, err = cli("index", "add", tmp_path / "idx", clips[4])
    assert code == 0 and "1 files" in out, err
    code, out, err = cli("similar", clips[4], "--index", tmp_path / "idx", "--top-k", "3", "--json")
    assert code == 0, err
    hits = json.loads(out)
    assert len(hits) == 3 and hits[0]["file"] == str(clips[4]) and hits[0]["similarity"] > 0.95
    code, _, err = cli("index", "build", tmp_path / "sounds", "--out", tmp_path / "idx")
    assert code == 2 and "already there" in err


@pytest.mark.slow
def test_embed_with_a_models_own_embedding(cli, tmp_path):
    code, out, err = cli("embed", REPO / "examples" / "1-26806-A-1.flac", "--model", "fast", "--out", tmp_path / "e.npz")
    assert code == 0, err
    saved = np.load(tmp_path / "e.npz", allow_pickle=False)
    assert saved["clip"].shape[0] == 1 and saved["window"].shape[1] == saved["clip"].shape[1] > 0
    assert json.loads(str(saved["meta"]))["views"] == ["model"]
