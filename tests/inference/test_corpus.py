"""Corpus embed/predict on Ray Data: equal to the single-process path, resumable by shard, bad files as rows."""

import csv

import numpy as np
import pytest

pytest.importorskip("ray")
pq = pytest.importorskip("pyarrow.parquet")

from envsound.errors import ConfigError  # noqa: E402
from envsound.inference.corpus import part_path, run_corpus  # noqa: E402
from envsound.inference.embed import embed_files  # noqa: E402
from envsound.inference.predict import Predictor  # noqa: E402

# slow; and every Ray test on one xdist worker, so one private Ray instance serves them all
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]


@pytest.fixture(scope="module")
def esc50_slice(esc50_root):
    return sorted(str(p.resolve()) for p in (esc50_root / "audio").glob("1-1*.flac"))[:7]


def _rows(out, shards):
    return [row for k in range(shards) for row in pq.read_table(part_path(out, k)).to_pylist()]


def test_ray_predict_equals_predict_and_reports_a_bad_file(ray_local, esc50_slice, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00not really a wave file")
    out = tmp_path / "pred"
    done = run_corpus("predict", [*esc50_slice, str(bad)], out, top_k=3, actors=2, shard_files=3, batch_files=2, verbose=False)
    assert (done.files, done.shards, done.shards_written, done.errors) == (8, 3, 3, 1)
    rows = _rows(out, 3)
    assert [r["file"] for r in rows] == [*esc50_slice, str(bad)]  # every file once, in order
    reference = Predictor.from_file().predict(esc50_slice, top_k=3)
    for row, ref in zip(rows, reference):
        assert row["labels"] == ref.labels and row["answer"] == ref.answer and row["error"] is None
        np.testing.assert_allclose(row["probabilities"], ref.probabilities, atol=1e-5)
    assert rows[-1]["error"] and "broken.wav" in rows[-1]["error"] and rows[-1]["labels"] == []

    # Stopped midway: a shard is missing. The rerun writes only that one, identically.
    kept = {k: part_path(out, k).stat().st_mtime_ns for k in (0, 2)}
    before = pq.read_table(part_path(out, 1)).to_pylist()
    part_path(out, 1).unlink()
    again = run_corpus("predict", [*esc50_slice, str(bad)], out, top_k=3, actors=2, shard_files=3, batch_files=2, verbose=False)
    assert again.shards_written == 1 and all(part_path(out, k).stat().st_mtime_ns == t for k, t in kept.items())
    after = pq.read_table(part_path(out, 1)).to_pylist()
    assert [r["labels"] for r in after] == [r["labels"] for r in before]
    np.testing.assert_allclose([r["probabilities"] for r in after], [r["probabilities"] for r in before], atol=1e-5)
    # The folder belongs to this job: other settings are refused, not mixed in.
    with pytest.raises(ConfigError, match="another job"):
        run_corpus("predict", esc50_slice, out, top_k=5, shard_files=3, verbose=False)


def test_ray_embed_equals_embed_per_window_from_a_csv_list(ray_local, esc50_slice, tmp_path):
    listing = tmp_path / "files.csv"
    with listing.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "note"])
        writer.writerows([[p, "x"] for p in esc50_slice[:3]])
    out = tmp_path / "emb"
    done = run_corpus("embed", [str(listing)], out, actors=2, shard_files=2, verbose=False)
    assert (done.files, done.shards) == (3, 2)
    rows = _rows(out, 2)
    reference = embed_files(esc50_slice[:3])
    assert [r["file"] for r in rows] == [reference.files[i] for i in reference.window_file]
    np.testing.assert_allclose([r["window_start"] for r in rows], reference.window_start)
    np.testing.assert_allclose(np.array([r["embedding"] for r in rows]), reference.window, atol=1e-5)


def test_cli_predict_on_ray_writes_shards_and_refuses_a_file_output(esc50_slice, tmp_path, ray_local, cli):
    """The command as a user types it, in this process: it joins the tests' running Ray instance
    (a fresh process would start its own, which the other Ray tests here already cover)."""
    code, _, err = cli("predict", esc50_slice[0], "--engine", "ray", "--output", tmp_path / "x.csv")
    assert code != 0 and "--output FOLDER" in err
    out = tmp_path / "preds"
    code, stdout, err = cli("predict", *esc50_slice[:3], "--engine", "ray", "--output", out, "--actors", "1", "--batch-files", "2", "--shard-files", "2")
    assert code == 0, err[-2000:]
    assert "3 files in 2 shards" in stdout
    assert [r["file"] for r in _rows(out, 2)] == esc50_slice[:3]


def test_bad_file_lists_and_a_missing_model_fail_in_one_line_before_any_work(esc50_slice, tmp_path):
    from envsound.errors import DatasetError
    from envsound.inference.corpus import corpus_paths

    binary = tmp_path / "list.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81binary\x00")
    with pytest.raises(DatasetError, match="not a readable CSV"):
        corpus_paths([str(binary)])
    other = tmp_path / "other.csv"
    other.write_text("file,label\na.wav,dog\n")
    with pytest.raises(DatasetError, match=r"missing columns \['path'\]"):
        corpus_paths([str(other)])
    relative = tmp_path / "rel.csv"
    relative.write_text("path\nsub/a.wav\n")
    assert corpus_paths([str(relative)]) == [str(tmp_path / "sub" / "a.wav")]
    with pytest.raises(ConfigError, match="model file not found"):
        run_corpus("predict", esc50_slice[:1], tmp_path / "out", model=str(tmp_path / "missing.pt"), verbose=False)
    for cpus, gpus in ((float("nan"), 0), (0, 0), (1, -1), (1, float("inf"))):  # NaN was a ValueError traceback
        with pytest.raises(ConfigError, match="per-actor"):
            run_corpus("predict", esc50_slice[:1], tmp_path / "out", cpus=cpus, gpus=gpus, verbose=False)
    assert not (tmp_path / "out").exists()


def test_an_index_of_a_corpus_embedded_on_ray_finds_what_a_local_one_finds(esc50_slice, tmp_path, ray_local, cli):
    """index build --engine ray: Ray Data embeds into Parquet shards, the index is built from them;
    its neighbours equal a locally built index's."""
    code, _, err = cli("index", "build", *esc50_slice[:3], "--engine", "ray", "--out", tmp_path / "ray-idx", "--actors", "1", "--shard-files", "2")
    assert code == 0, err[-2000:]
    code, _, err = cli("index", "build", *esc50_slice[:3], "--out", tmp_path / "local-idx")
    assert code == 0, err[-2000:]
    from envsound.inference.search import SoundIndex

    on_ray, local = SoundIndex.load(tmp_path / "ray-idx"), SoundIndex.load(tmp_path / "local-idx")
    assert sorted(on_ray.files) == sorted(local.files) and len(on_ray) == len(local)
    for name in local.files:
        row_local = local.vectors[local.window_file == local.files.index(name)]
        row_ray = on_ray.vectors[on_ray.window_file == on_ray.files.index(name)]
        assert np.allclose(row_local, row_ray, atol=1e-4)
