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
