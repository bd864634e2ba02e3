import csv
import shutil

import pytest

from envsound.data import (
    assert_no_leak,
    fold_assignment,
    load_esc50,
    split_indices,
    verify_esc50,
)
from envsound.errors import DatasetError


def test_real_esc50_has_official_folds_and_classes(esc50_root):
    m = load_esc50(esc50_root)
    assert len(m) == 2000 and len(m.classes) == 50
    assert m.classes[0] == "dog" and m.classes[49] == "hand_saw"
    assert sorted(set(m.folds.tolist())) == [1, 2, 3, 4, 5]
    assert all(c.path.exists() for c in m.clips[:20])
    # the class index is the last field of the filename
    assert all(int(c.clip_id.split("-")[-1]) == m.classes.index(c.label) for c in m.clips)


def test_esc10_is_the_subset(esc50_root):
    m = load_esc50(esc50_root, esc10=True)
    assert len(m) == 400 and len(m.classes) == 10 and m.name == "esc10"


def test_official_folds_never_split_a_clip(esc50_root):
    m = load_esc50(esc50_root)
    folds = fold_assignment(m)
    assert (folds == m.folds).all()  # official folds are used as published, never re-split
    for fold in range(1, 6):
        train, test = split_indices(folds, fold)
        assert_no_leak(m, train, test, check_groups=False)


def test_known_upstream_source_ids_in_two_folds(esc50_root):
    """ESC-50 itself puts 4 Freesound ids in two folds (different labels); anything more is a bug."""
    from collections import defaultdict

    folds_of = defaultdict(set)
    for clip in load_esc50(esc50_root).clips:
        folds_of[clip.group].add(clip.fold)
    assert sorted(g for g, f in folds_of.items() if len(f) > 1) == ["131943", "134049", "209698", "234879"]


def test_verify_passes_on_real_copy(esc50_root):
    report = verify_esc50(esc50_root)
    assert report.ok, report.problems[:3]
    assert report.checked_files == 2000 and report.checked_hashes == 2000


def _copy_meta(esc50_root, tmp_path, rows_filter=None, mutate=None):
    root = tmp_path / "esc"
    (root / "meta").mkdir(parents=True)
    (root / "audio").symlink_to(esc50_root / "audio")
    with open(esc50_root / "meta" / "esc50.csv") as src, open(root / "meta" / "esc50.csv", "w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, reader.fieldnames)
        writer.writeheader()
        for i, row in enumerate(reader):
            if rows_filter and not rows_filter(i, row):
                continue
            writer.writerow(mutate(i, row) if mutate else row)
    return root


def test_verify_reports_missing_rows_and_wrong_labels(esc50_root, tmp_path):
    def mutate(i, row):
        if i == 5:
            row = dict(row, target="7")
        return row

    root = _copy_meta(esc50_root, tmp_path, rows_filter=lambda i, r: i != 0, mutate=mutate)
    report = verify_esc50(root, sha256sums=None)
    text = "\n".join(report.problems)
    assert not report.ok
    assert "expected 2000 clips, found 1999" in text
    assert "name does not match" in text
    assert "expected 40 clips" in text


def test_verify_detects_checksum_mismatch(esc50_root, tmp_path):
    root = tmp_path / "esc"
    shutil.copytree(esc50_root / "meta", root / "meta")
    (root / "audio").mkdir()
    first = sorted((esc50_root / "audio").iterdir())[0]
    (root / "audio" / first.name).write_bytes(first.read_bytes()[:-10] + b"0123456789")
    sums = tmp_path / "sums"
    sums.write_text((esc50_root / "SHA256SUMS").read_text().splitlines()[0] + "\n")
    report = verify_esc50(root, sha256sums=sums)
    assert any("sha256 mismatch" in p for p in report.problems)
    assert any("missing" in p for p in report.problems)


def test_not_an_esc50_folder(tmp_path):
    with pytest.raises(DatasetError, match="missing meta/esc50.csv"):
        load_esc50(tmp_path)


def test_bad_esc50_csv_columns(tmp_path):
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "esc50.csv").write_text("filename,fold\nx.wav,1\n")
    with pytest.raises(DatasetError, match="missing columns"):
        load_esc50(tmp_path)
