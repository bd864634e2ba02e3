"""Named pretrained checkpoints: where they come from, how to check them, where they are cached.

Resolution order: ``$ENVSOUND_WEIGHTS`` (a folder you filled yourself: offline use), the cache
(``$ENVSOUND_WEIGHTS_CACHE`` or ~/.cache/envsound/weights), then a download into the cache.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from envsound.errors import ConfigError, DownloadError
from envsound.utils import sha256_file

RELEASE = "https://github.com/fschmid56/EfficientAT/releases/download/v0.0.1/"


@dataclass(frozen=True)
class Checkpoint:
    name: str
    filename: str
    width: float
    audioset_map: float
    params_millions: float  # as EfficientAT's README lists it; tests check our architecture matches
    size: int | None = None
    sha256: str | None = None
    note: str = ""
    family: str = "mn"  # "mn": envsound's AudioMobileNet loads it; "dymn": download only, see load_backbone

    @property
    def url(self) -> str:
        return RELEASE + self.filename


EFFICIENTAT_LICENSE = "MIT, (c) 2022 Florian Schmid"  # every EfficientAT checkpoint


def license_note(dataset: str, dataset_license: str | None, checkpoint: str | None) -> str:
    """What a trained model file's weights follow, for its card: the training data's licence and,
    with a pretrained backbone, EfficientAT's. A user's own folder or CSV has a licence envsound
    cannot know, and the note says so."""
    data = f"trained on {dataset}, licensed {dataset_license}" if dataset_license else f"trained on {dataset}, whose licence envsound cannot know"
    return (f"weights derived from EfficientAT {checkpoint} ({EFFICIENTAT_LICENSE}); " if checkpoint else "") + data


CHECKPOINTS = {
    c.name: c
    for c in (
        Checkpoint("mn04_as", "mn04_as_mAP_432.pt", 0.4, 0.432, 0.983, 4_066_513, "899a8c6217063f6941793102a2780b3dd788ab11fce468d9cf5f0577c453321c", "verified here"),
        # Larger members of the family, for users with network. Their file names follow the
        # release's pattern; sizes and checksums were not available offline, so only the
        # state-dict shapes are checked when they load (and the parameter counts, in the tests).
        Checkpoint("mn05_as", "mn05_as_mAP_443.pt", 0.5, 0.443, 1.43),
        Checkpoint("mn10_as", "mn10_as_mAP_471.pt", 1.0, 0.471, 4.88),
        Checkpoint("mn20_as", "mn20_as_mAP_478.pt", 2.0, 0.478, 17.91),
        Checkpoint("mn30_as", "mn30_as_mAP_482.pt", 3.0, 0.482, 39.09),
        Checkpoint("mn40_as", "mn40_as_mAP_484.pt", 4.0, 0.484, 68.43),
        Checkpoint("mn40_as_ext", "mn40_as_ext_mAP_487.pt", 4.0, 0.487, 68.43, note="EfficientAT's best on ESC-50 (97.45 %, their report)"),
        # Dynamic MobileNets (DyMN: dynamic convolutions, dynamic ReLU, coordinate attention): their
        # files download and cache like the others, but envsound does not build that architecture.
        Checkpoint("dymn04_as", "dymn04_as.pt", 0.4, 0.450, 1.97, family="dymn"),
        Checkpoint("dymn10_as", "dymn10_as.pt", 1.0, 0.477, 10.57, family="dymn"),
        Checkpoint("dymn20_as", "dymn20_as_mAP_493.pt", 2.0, 0.491, 40.02, family="dymn"),
    )
}


def get_checkpoint(name: str) -> Checkpoint:
    try:
        return CHECKPOINTS[name]
    except KeyError:
        raise ConfigError(f"unknown checkpoint '{name}'; choose from: {', '.join(CHECKPOINTS)}") from None


def cache_dir() -> Path:
    return Path(os.environ.get("ENVSOUND_WEIGHTS_CACHE", Path.home() / ".cache" / "envsound" / "weights"))


def weights_path(name: str, download: bool = True, url: str | None = None) -> Path:
    """Local path of checkpoint ``name``, downloading (and verifying) it if needed."""
    ckpt = get_checkpoint(name)
    offline = os.environ.get("ENVSOUND_WEIGHTS")
    if offline and (Path(offline) / ckpt.filename).is_file():
        return Path(offline) / ckpt.filename
    cached = cache_dir() / ckpt.filename
    if cached.is_file():
        return cached
    if not download:
        raise DownloadError(f"checkpoint {name} not found offline: put {ckpt.filename} in $ENVSOUND_WEIGHTS or run `envsound weights download {name}`")
    from envsound.data.fetch import download as fetch

    path = fetch(url or ckpt.url, cached, sha256=ckpt.sha256)
    if ckpt.size is not None and path.stat().st_size != ckpt.size:
        path.unlink()
        raise DownloadError(f"{name}: downloaded file has {path.stat().st_size} bytes, expected {ckpt.size}")
    return path


def verify(name: str, path: Path) -> bool | None:
    """True/False against the known sha256 (published, or recorded at the first download), None
    when there is none to compare with."""
    from envsound.data.fetch import recorded_sha256

    expected = get_checkpoint(name).sha256 or recorded_sha256(path)
    return None if expected is None else sha256_file(path) == expected
