import os
import time

import numpy as np
import pytest

from conftest import write_wav
from envsound.data import load_folder
from envsound.errors import AudioError, ConfigError
from envsound.features import LogMelConfig, LogMelExtractor, load_or_compute
from envsound.features.cache import cache_entries, clear_cache


def test_computed_once_then_reopened(tone_dataset, tmp_path):
    m = load_folder(tone_dataset)
    ex = LogMelExtractor(LogMelConfig(clip_seconds=1.0))
    first = load_or_compute(m, ex, cache_dir=tmp_path / "c", show_progress=False)
    started = time.perf_counter()
    again = load_or_compute(m, ex, cache_dir=tmp_path / "c", show_progress=False)
    assert time.perf_counter() - started < 1.0
    assert again.path == first.path and isinstance(again.features, np.memmap)
    np.testing.assert_array_equal(np.asarray(again.features), np.asarray(first.features))
    assert again.clip_paths == [str(c.path) for c in m.clips]


def test_config_change_and_file_change_invalidate(tone_dataset, tmp_path):
    m = load_folder(tone_dataset)
    cache = tmp_path / "c"
    base = load_or_compute(m, LogMelExtractor(LogMelConfig(clip_seconds=1.0)), cache_dir=cache, show_progress=False)
    other_cfg = load_or_compute(m, LogMelExtractor(LogMelConfig(clip_seconds=1.0, n_mels=32)), cache_dir=cache, show_progress=False)
    assert other_cfg.path != base.path
    clip = m.clips[0].path
    write_wav(clip, np.zeros(16000, dtype=np.float32))
    os.utime(clip, ns=(time.time_ns(), time.time_ns() + 10**9))
    changed = load_or_compute(m, LogMelExtractor(LogMelConfig(clip_seconds=1.0)), cache_dir=cache, show_progress=False)
    assert changed.path != base.path
    assert not np.allclose(changed.features[0], base.features[0])


def test_bad_files_all_reported_and_nothing_half_written(tone_dataset, tmp_path):
    (tone_dataset / "low" / "low-1.wav").write_bytes(b"garbage")
    (tone_dataset / "mid" / "mid-2.wav").write_text("text")
    m = load_folder(tone_dataset)
    cache = tmp_path / "c"
    with pytest.raises(AudioError) as err:
        load_or_compute(m, LogMelExtractor(LogMelConfig(clip_seconds=1.0)), cache_dir=cache, show_progress=False)
    assert "2 of 30 files" in str(err.value) and "low-1.wav" in str(err.value) and "mid-2.wav" in str(err.value)
    assert list(cache.iterdir()) == []  # the staging folder is gone, no entry looks complete


def test_fail_fast_stops_at_first_bad_file(tone_dataset, tmp_path):
    (tone_dataset / "low" / "low-1.wav").write_bytes(b"garbage")
    with pytest.raises(AudioError, match="low-1.wav: not a readable"):
        load_or_compute(load_folder(tone_dataset), LogMelExtractor(LogMelConfig(clip_seconds=1.0)), cache_dir=tmp_path / "c", fail_fast=True, show_progress=False)


def test_real_esc50_slice_is_fast(esc50_root, tmp_path):
    from envsound.data import load_esc50

    m = load_esc50(esc50_root).select(range(200))
    started = time.perf_counter()
    feats = load_or_compute(m, LogMelExtractor(), cache_dir=tmp_path / "c", show_progress=False)
    assert feats.features.shape == (200, 1, 64, 251)
    assert time.perf_counter() - started < 10  # full 2000 clips take ~5 s here; generous for a loaded CI box
    assert np.isfinite(np.asarray(feats.features)).all()


def test_list_and_clear_touch_only_finished_entries(tone_dataset, tmp_path):
    m = load_folder(tone_dataset)
    cache = tmp_path / "c"
    old = load_or_compute(m, LogMelExtractor(LogMelConfig(clip_seconds=1.0)), cache_dir=cache, show_progress=False)
    new = load_or_compute(m, LogMelExtractor(LogMelConfig(clip_seconds=1.0, n_mels=32)), cache_dir=cache, show_progress=False)
    week_ago = time.time() - 7 * 86400
    os.utime(old.path / "index.json", (week_ago, week_ago))
    (cache / "notes").mkdir()  # not an entry: never touched
    (cache / ".staging-in-progress").mkdir()
    entries = cache_entries(cache)
    assert [e.path for e in entries] == [old.path, new.path]  # oldest use first
    assert all(e.size_bytes > 0 for e in entries)
    for nonsense in (-5.0, float("nan"), float("inf")):  # -5 used to clear everything, NaN nothing
        with pytest.raises(ConfigError, match="--unused-days"):
            clear_cache(cache, unused_days=nonsense)
    assert [e.path for e in clear_cache(cache, unused_days=3)] == [old.path]
    assert not old.path.exists() and new.path.exists()
    assert [e.path for e in clear_cache(cache)] == [new.path]
    assert sorted(p.name for p in cache.iterdir()) == [".staging-in-progress", "notes"]


def test_reopening_an_entry_counts_as_use(tone_dataset, tmp_path):
    m = load_folder(tone_dataset)
    ex = LogMelExtractor(LogMelConfig(clip_seconds=1.0))
    entry = load_or_compute(m, ex, cache_dir=tmp_path, show_progress=False)
    os.utime(entry.path / "index.json", (0, 0))
    load_or_compute(m, ex, cache_dir=tmp_path, show_progress=False)
    assert clear_cache(tmp_path, unused_days=1) == []


@pytest.mark.parametrize("damage", ["nan", "truncate", "no_checksum"])
def test_a_damaged_entry_is_recomputed_once_with_a_warning(tone_dataset, tmp_path, capsys, damage):
    """Before checksums, a NaN-filled entry trained with loss NaN and a truncated one raised on every rerun."""
    import json

    manifest = load_folder(tone_dataset)
    extractor = LogMelExtractor(LogMelConfig(clip_seconds=1.0, n_mels=32))
    first = load_or_compute(manifest, extractor, cache_dir=tmp_path, show_progress=False)
    good = np.array(first.features)
    features = first.path / "features.npy"
    if damage == "nan":
        data = np.load(features, mmap_mode="r+")
        data[3] = np.nan
        data.flush()
        del data
    elif damage == "truncate":
        features.write_bytes(features.read_bytes()[:1000])
    else:
        index = json.loads((first.path / "index.json").read_text())
        del index["sha256"]
        (first.path / "index.json").write_text(json.dumps(index))
    del first
    again = load_or_compute(manifest, extractor, cache_dir=tmp_path, show_progress=False)
    assert np.array_equal(np.asarray(again.features), good)
    assert "recomputing" in capsys.readouterr().err


def test_staging_of_a_killed_process_is_cleared(tone_dataset, tmp_path):
    dead = tmp_path / ".tones-logmel-abc.999999999.x1y2"  # a pid that cannot be running
    live = tmp_path / f".tones-logmel-abc.{os.getpid()}.x1y2"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "features.npy").write_bytes(b"\0" * 100)
    clear_cache(tmp_path)
    assert not dead.exists() and live.exists()
    dead.mkdir()
    load_or_compute(load_folder(tone_dataset), LogMelExtractor(LogMelConfig(clip_seconds=1.0, n_mels=32)), cache_dir=tmp_path, show_progress=False)
    assert not dead.exists() and live.exists()
