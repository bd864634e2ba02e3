"""Offline augmentation: writes augmented copies of a dataset, each in its source clip's fold.

Transforms are the training side of ``augment/table.py``: audiomentations' (the study's) and the
real-world ones (mix, room, band, codec, ...) from ``realworld``. Every copy is seeded from (seed, clip, transform, copy),
so a re-run writes identical files; finished copies are skipped, so an interrupted run resumes.
The output manifest records each copy's source clip, transform and sampled parameters.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from envsound.audio import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, fix_length, load_audio
from envsound.augment.table import AUGMENTATIONS, TRANSFORM_NAMES, draw
from envsound.data.manifest import Clip, Manifest
from envsound.errors import AudioError, ConfigError
from envsound.utils import atomic_path, stable_hash
from envsound.workers import process_pool


@dataclass(frozen=True)
class Job:
    source: str
    target: str
    transform: str
    seed: int
    sample_rate: int
    seconds: float | None
    background: str | None
    partner: str | None = None  # the "mix" transform's other clip: same fold, another label


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _run(job: Job) -> dict:
    """One copy, in a worker process; audiomentations draws from the global RNGs, seeded here."""
    random.seed(job.seed)
    np.random.seed(job.seed % (2**32))
    signal = load_audio(job.source, job.sample_rate)
    row = AUGMENTATIONS[job.transform]
    if row.draw is not None:
        partner = load_audio(job.partner, job.sample_rate) if job.partner else None
        augmented, params = draw(job.transform, signal, job.sample_rate, np.random.default_rng(job.seed), partner)
        if job.partner:
            params["partner"] = Path(job.partner).name
    else:
        assert row.library is not None
        transform = row.library(job.background)
        augmented = transform(samples=signal, sample_rate=job.sample_rate)
        params = {k: _jsonable(v) for k, v in transform.parameters.items() if k != "should_apply"}
        if job.transform == "background":
            params = {k: v for k, v in params.items() if k in ("snr_db", "noise_file_path", "rms_in_db")}
    if job.seconds is not None:  # time stretch changes the duration; crop/pad back to the clip length
        augmented = fix_length(augmented, round(job.seconds * job.sample_rate))
    target = Path(job.target)
    with atomic_path(target) as tmp:
        sf.write(tmp, augmented, job.sample_rate, format="WAV", subtype="PCM_16")
    record = {"target": job.target, "params": params, "sample_rate": job.sample_rate}
    with atomic_path(target.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(record))
    return record


def mix_partner(manifest: Manifest, clip: Clip, seed: int) -> str:
    """The clip mixed under ``clip``: drawn from its own fold with another label, so whenever the
    copy is a training clip the partner is too (copies of the test fold are never trained on)."""
    pool = sorted(str(c.path) for c in manifest.clips if c.fold == clip.fold and c.label != clip.label and c.source is None)
    if not pool:
        raise ConfigError(f"fold {clip.fold} has no clip of another class to mix under {clip.clip_id}")
    return pool[np.random.default_rng(seed % (2**63)).integers(len(pool))]


def augment_dataset(
    manifest: Manifest,
    out_dir: str | Path,
    transforms: tuple[str, ...] = ("noise", "shift", "pitch", "stretch"),
    copies: int = 1,
    seed: int = 0,
    sample_rate: int | None = None,
    seconds: float | None = None,
    background: str | None = None,
    workers: int = 2,
    include_originals: bool = True,
    show_progress: bool = True,
) -> Path:
    """Write ``out_dir/audio/*.wav`` and ``out_dir/manifest.csv``; returns the manifest path."""
    from envsound.audio import audio_info
    from envsound.progress import progress_bar

    manifest.check_output_outside(out_dir)
    if not transforms or copies < 1:  # either would write a manifest of the originals alone, looking finished
        raise ConfigError(f"augment needs at least one transform and --copies of 1 or more, got {list(transforms)} and {copies}")
    unknown = set(transforms) - set(TRANSFORM_NAMES)
    if unknown:
        raise ConfigError(f"unknown transforms {sorted(unknown)}; choose from {', '.join(TRANSFORM_NAMES)}")
    if "background" in transforms and not background:
        raise ConfigError("the background transform needs --background FOLDER of noise recordings")
    if "mix" in transforms and any(c.fold is None for c in manifest.clips):
        raise ConfigError("the mix transform needs a dataset with folds: its partner clip comes from the same fold, so it is never a test clip")
    if sample_rate is not None and not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise ConfigError(f"--sample-rate {sample_rate}: choose a rate between {MIN_SAMPLE_RATE} and {MAX_SAMPLE_RATE} Hz")
    out_dir = Path(out_dir)
    audio_dir = out_dir / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    rate = sample_rate or audio_info(manifest.clips[0].path)[0]
    jobs: list[tuple[Clip, Job]] = []
    for clip in manifest.clips:
        for name in transforms:
            for k in range(copies):
                target = audio_dir / f"{clip.clip_id}__{name}{k}.wav"
                job_seed = int(stable_hash([seed, clip.clip_id, name, k]), 16)
                partner = mix_partner(manifest, clip, job_seed) if name == "mix" else None
                jobs.append((clip, Job(str(clip.path), str(target), name, job_seed, rate, seconds, background, partner)))
    todo = [job for _, job in jobs if not Path(job.target).with_suffix(".json").exists()]
    done = [job for _, job in jobs if Path(job.target).with_suffix(".json").exists()]
    made_at = json.loads(Path(done[0].target).with_suffix(".json").read_text()).get("sample_rate", rate) if done else rate
    if made_at != rate:  # a resumed folder must not mix rates without saying so (checked before any work)
        raise ConfigError(f"{out_dir}: its copies were made at {made_at} Hz, not {rate} Hz; resume with that rate or write to another folder")
    failures: list[str] = []
    with process_pool(workers) as pool, progress_bar("augment", len(todo), show_progress) as advance:
        futures = [pool.submit(_run, job) for job in todo]
        for future in futures:
            try:
                future.result()
            except AudioError as err:
                failures.append(str(err))
            advance(1)
    if failures:
        raise AudioError(f"{len(failures)} copies failed (finished ones are kept; rerun to resume):\n  " + "\n  ".join(failures[:10]))
    rows = []
    if include_originals:
        rows += [[str(c.path.resolve()), c.label, "" if c.fold is None else c.fold, c.group or "", "", "", ""] for c in manifest.clips]
    for clip, job in jobs:
        record = json.loads(Path(job.target).with_suffix(".json").read_text())
        rows.append([Path(job.target).relative_to(out_dir).as_posix(), clip.label, "" if clip.fold is None else clip.fold, clip.group or "", clip.clip_id, job.transform, json.dumps(record["params"], sort_keys=True)])
    import csv

    manifest_path = out_dir / "manifest.csv"
    with atomic_path(manifest_path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "fold", "group", "source", "transform", "params"])
        writer.writerows(rows)
    return manifest_path
