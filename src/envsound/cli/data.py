"""Dataset commands: `data` (fetch, verify, inspect), `cache` (the feature cache), `show` (one clip).

`show` draws one clip as a picture; it lives here because it inspects data, not a model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from envsound.cli.options import DATA_OPT, echo
from envsound.errors import ConfigError

data_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Datasets: fetch, verify, inspect.")


@data_app.command("info")
def data_info(dataset: str = typer.Argument("esc50", help="A named dataset (see `envsound data list`), a folder-per-class path or a CSV manifest."), data: Optional[str] = DATA_OPT) -> None:
    """Clips, classes and folds of a dataset."""
    from collections import Counter

    from envsound.data import load_dataset

    manifest = load_dataset(dataset, data)
    folds = manifest.folds
    echo(f"{manifest.name}: {len(manifest)} clips, {len(manifest.classes)} classes")
    if folds is not None:
        echo("folds: " + ", ".join(f"{f}: {n}" for f, n in sorted(Counter(folds.tolist()).items())))
    else:
        echo("folds: none predefined (cross-validation uses stratified group k-fold)")
    counts = Counter(c.label for c in manifest.clips)
    echo("per class: " + ", ".join(f"{c} {counts[c]}" for c in manifest.classes[:10]) + (" …" if len(manifest.classes) > 10 else ""))


@data_app.command("list")
def data_list() -> None:
    """The datasets envsound knows by name."""
    from envsound.data import DATASETS

    for info in DATASETS.values():
        human = f", humans {info.human_accuracy:.1%}" if info.human_accuracy else ""
        echo(f"{info.name:13s} {info.description} [{info.license}{human}]")


@data_app.command("verify")
def data_verify(
    dataset: str = typer.Argument("esc50", help="A named dataset with a verifier (esc50, urbansound8k)."),
    data: Optional[str] = DATA_OPT,
    sha256: Optional[Path] = typer.Option(None, help="ESC-50: a sha256sum-style list; default ROOT/SHA256SUMS if present."),
    decode: bool = typer.Option(False, help="Also open every audio file."),
) -> None:
    """Check a dataset's integrity: counts per class and fold, names vs labels, files, checksums."""
    from envsound.data import get_dataset

    info = get_dataset(dataset)
    if info.verify is None:
        raise ConfigError(f"{dataset} has no verifier of its own (verify its parent dataset)")
    report = info.verify(data, sha256sums=sha256, decode=decode) if dataset == "esc50" else info.verify(data, decode=decode)
    for problem in report.problems[:50]:
        echo(f"problem: {problem}")
    if len(report.problems) > 50:
        echo(f"… and {len(report.problems) - 50} more problems")
    echo(f"{report.checked_files} files present, {report.checked_hashes} checksums matched, {len(report.problems)} problems")
    if not report.ok:
        raise typer.Exit(1)


@data_app.command("fetch")
def data_fetch(name: str = typer.Argument(..., help="Dataset to download (see `envsound data list`)."), dest: Path = typer.Option(..., help="Folder to create."),
               url: Optional[str] = typer.Option(None, help="Archive URL (default: upstream)."), sha256: Optional[str] = typer.Option(None, help="Expected archive sha256.")) -> None:
    """Download a dataset (resumes a broken download, verifies before moving into place)."""
    from envsound.data import get_dataset

    info = get_dataset(name)
    if info.fetch is None:
        raise ConfigError(f"{name} has no download of its own; fetch the dataset it belongs to")
    path = info.fetch(dest, url, sha256, progress=_download_progress())
    echo(f"\n{info.name} ready at {path} (verified)")


def _download_progress():
    state = {"last": -1}

    def show(done: int, total: int | None) -> None:
        mb = done // (1 << 20)
        if mb != state["last"]:
            state["last"] = mb
            sys.stderr.write(f"\r{mb} MiB" + (f" of {total // (1 << 20)} MiB" if total else ""))

    return show


cache_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="The feature cache: list, clear.")


@cache_app.command("list")
def cache_list() -> None:
    """Cached feature arrays (dataset-features-key), their size and last use."""
    from datetime import datetime

    from envsound.features.cache import cache_entries, default_cache_dir

    entries = cache_entries()
    for e in entries:
        echo(f"{e.size_bytes / 1e6:9.1f} MB  last used {datetime.fromtimestamp(e.last_used):%Y-%m-%d %H:%M}  {e.path.name}")
    echo(f"{len(entries)} entries, {sum(e.size_bytes for e in entries) / 1e6:.1f} MB in {default_cache_dir()} (set $ENVSOUND_CACHE to move it)")


@cache_app.command("clear")
def cache_clear(unused_days: Optional[float] = typer.Option(None, "--unused-days", help="Only entries not used for this many days.")) -> None:
    """Delete cached features; they are recomputed when next needed."""
    from envsound.features.cache import clear_cache

    removed = clear_cache(unused_days=unused_days)
    echo(f"removed {len(removed)} entries, {sum(e.size_bytes for e in removed) / 1e6:.1f} MB")


def show(file: Path = typer.Argument(..., help="Audio file."), out: Optional[Path] = typer.Option(None, "-o", "--out", help="PNG to write (default FILE.png beside the audio)."), sample_rate: int = typer.Option(16000, help="Rate to view it at.")) -> None:
    """Waveform, spectrogram and mel-spectrogram of one clip, as a PNG."""
    from envsound.audio import load_audio
    from envsound.evaluation.plots import clip_figure

    signal = load_audio(file, sample_rate)
    target = out or file.with_suffix(".png")
    clip_figure(signal, sample_rate, target, f"{file.name} ({len(signal) / sample_rate:.2f} s at {sample_rate} Hz)")
    echo(str(target))


GROUPS = {"data": data_app, "cache": cache_app}
COMMANDS = {"show": show}
