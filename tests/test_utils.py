import os
import stat

import pytest

from envsound.utils import atomic_path, read_json, write_json


def test_atomic_write_lands_whole_with_ordinary_permissions(tmp_path):
    target = tmp_path / "out" / "result.json"
    write_json(target, {"accuracy": 0.5})
    assert read_json(target) == {"accuracy": 0.5}
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # not mkstemp's owner-only 0600
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]


def test_a_failed_write_leaves_neither_target_nor_temp(tmp_path):
    target = tmp_path / "metrics.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("{half")
            raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_growing_rows_fill_chunks_and_give_every_row_back(monkeypatch):
    import numpy as np

    from envsound import utils

    monkeypatch.setattr(utils, "GROWING_CHUNK_BYTES", 3 * 2 * 8)  # three rows of two float64 a chunk
    rows = utils.GrowingRows(2)
    assert len(rows) == 0 and rows.array().shape == (0, 2)
    data = np.arange(14, dtype=float).reshape(7, 2)
    rows.extend(data[:1])
    rows.extend(data[1:6])  # across a chunk boundary
    rows.extend(data[6])
    assert len(rows) == 7 and len(rows._chunks) == 3
    np.testing.assert_array_equal(rows.array(), data)
    levels = utils.GrowingRows(1)
    levels.extend(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(levels.array()[:, 0], [1.0, 2.0, 3.0])
