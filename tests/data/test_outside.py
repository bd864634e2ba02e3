"""The outside-set builder: only listed files, from real .deb packages, every row sourced and licensed."""

from __future__ import annotations

import csv
import shutil
import subprocess

import numpy as np
import pytest

from conftest import REPO, tone, write_wav
from envsound.data.outside import build_outside_set, read_manifest
from envsound.errors import DatasetError

CLASSES = ("dog", "rain")
HEADER = ["package", "member", "label", "set", "licence", "note"]


def _deb(folder, name="envsound-test-sounds", version="1.0-1"):
    """A real Debian package holding two sounds, made with dpkg-deb."""
    root = folder / "pkg"
    write_wav(root / "usr/share/sounds/test/bark.wav", tone(500, 1.0))
    write_wav(root / "usr/share/sounds/test/beep.wav", tone(2000, 0.3))
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN/control").write_text(f"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n")
    debs = folder / "debs"
    debs.mkdir()
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(debs / f"{name}_{version}_all.deb")], check=True, capture_output=True)
    return debs


def _manifest(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_builds_only_the_listed_files_with_their_source(tmp_path):
    debs = _deb(tmp_path)
    manifest = _manifest(tmp_path / "m.csv", [["envsound-test-sounds", "/usr/share/sounds/test/bark.wav", "dog", "positive", "CC0-1.0", "a bark"],
                                               ["envsound-test-sounds", "/usr/share/sounds/test/beep.wav", "none", "negative", "CC0-1.0", "a beep"]])
    out = build_outside_set(manifest, tmp_path / "outside", CLASSES, debs)
    rows = list(csv.DictReader(open(out / "manifest.csv")))
    assert [r["label"] for r in rows] == ["dog", "none"] and rows[0]["source"] == "Debian envsound-test-sounds 1.0-1: /usr/share/sounds/test/bark.wav"
    assert sorted(p.name for p in (out / "audio" / "envsound-test-sounds" / "test").iterdir()) == ["bark.wav", "beep.wav"]
    bad = _manifest(tmp_path / "bad.csv", [["envsound-test-sounds", "/usr/share/sounds/test/meow.wav", "dog", "positive", "CC0-1.0", ""]])
    with pytest.raises(DatasetError, match="listed files not in the package"):
        build_outside_set(bad, tmp_path / "outside2", CLASSES, debs)
    assert not (tmp_path / "outside2").exists()


@pytest.mark.parametrize("row, message", [
    (["pkg-a", "/x/a.wav", "dog", "positive", "", ""], "no licence"),
    (["0ad-data", "/x/a.wav", "dog", "positive", "GPL-2+", ""], "held out"),
    (["pkg-a", "/x/a.wav", "cat", "positive", "GPL-2+", ""], "not one of the classes"),
    (["pkg-a", "/x/a.wav", "dog", "negative", "GPL-2+", ""], "must be 'none'"),
    (["pkg;rm -rf", "/x/a.wav", "dog", "positive", "GPL-2+", ""], "not a Debian package name"),
    (["pkg-a", "x/../../etc/passwd", "dog", "positive", "GPL-2+", ""], "not an absolute path"),
])
def test_rows_without_source_licence_or_a_valid_label_are_refused(tmp_path, row, message):
    with pytest.raises(DatasetError, match=message):
        read_manifest(_manifest(tmp_path / "m.csv", [row]), CLASSES)


def test_the_committed_manifest_is_valid_and_covers_both_sets():
    classes = tuple(sorted({r["label"] for r in csv.DictReader(open(REPO / "benchmarks" / "outside" / "manifest.csv")) if r["set"] == "positive"}))
    rows = read_manifest(REPO / "benchmarks" / "outside" / "manifest.csv", classes)
    negatives = [r for r in rows if r.set == "negative"]
    assert len(negatives) >= 100 and all(r.licence for r in rows)
    assert np.all([r.package not in {"0ad-data", "scratch"} for r in rows])


def test_the_exposure_manifest_shares_no_package_with_the_outside_set():
    """The exposure set (benchmarks/exposure) trains "none of these"; the outside set only measures,
    so no package may feed both, and neither may touch the held-out packages."""
    outside = read_manifest(REPO / "benchmarks" / "outside" / "manifest.csv", tuple(sorted({r["label"] for r in csv.DictReader(open(REPO / "benchmarks" / "outside" / "manifest.csv")) if r["set"] == "positive"})))
    exposure = read_manifest(REPO / "benchmarks" / "exposure" / "manifest.csv", ())
    assert len(exposure) >= 150 and all(r.set == "negative" and r.licence for r in exposure)
    assert not {r.package for r in exposure} & {r.package for r in outside}
