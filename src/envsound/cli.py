"""The one entry point: ``envsound <command>``. It builds configs and calls the Python API."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

from envsound.defaults import DEFAULT_CHECKPOINT, MAX_TTA, MAX_WINDOW_SECONDS, TIMELINE_HOP, TIMELINE_THRESHOLD, TIMELINE_WINDOW
from envsound.errors import ConfigError, EnvsoundError

MODEL_HELP = "A model file, or a shipped model by name: default (the pair, most trustworthy on real recordings) or fast (one network, half the cost)."
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, help="Environmental sound classification: data, cross-validation, training, prediction.")
data_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Datasets: fetch, verify, inspect.")
app.add_typer(data_app, name="data")

DATA_OPT = typer.Option(None, "--data", help="Dataset root folder; default $ENVSOUND_ESC50 (ESC-50, else ../shared/data/esc50) or $ENVSOUND_URBANSOUND8K.")
SET_OPT = typer.Option(None, "--set", help="A training setting, KEY=VALUE (repeatable), e.g. --set lr=0.0001 --set head_init=probe.")
# --engine ray on a corpus (predict, embed): the same options for both
CORPUS_ENGINE_OPT = typer.Option("local", help="local, or ray: a corpus on Ray Data into Parquet shards in the output FOLDER (pip install 'envsound[distributed]').")
TRAIN_DEVICE_OPT = typer.Option("cpu", help="Where networks train: cpu, cuda (under torchrun: each rank's own GPU, cuda:LOCAL_RANK, with nccl), cuda:N or auto.")
ADDRESS_OPT = typer.Option(None, help="With --engine ray: a running cluster (HEAD:6379); default: a private local instance.")
ACTORS_OPT = typer.Option(2, help="With --engine ray: model copies scoring in parallel.")
CPUS_PER_ACTOR_OPT = typer.Option(1.0, help="With --engine ray: CPUs per actor (and its torch threads).")
GPUS_PER_ACTOR_OPT = typer.Option(0.0, help="With --engine ray: GPUs per actor.")
SHARD_FILES_OPT = typer.Option(256, help="With --engine ray: files per Parquet shard (the unit of resuming).")
BATCH_FILES_OPT = typer.Option(8, help="With --engine ray: files an actor scores per call.")


def _command_line() -> str:
    return "envsound " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _echo(text: str) -> None:
    typer.echo(text)


@data_app.command("info")
def data_info(dataset: str = typer.Argument("esc50", help="A named dataset (see `envsound data list`), a folder-per-class path or a CSV manifest."), data: Optional[str] = DATA_OPT) -> None:
    """Clips, classes and folds of a dataset."""
    from collections import Counter

    from envsound.data import load_dataset

    manifest = load_dataset(dataset, data)
    folds = manifest.folds
    _echo(f"{manifest.name}: {len(manifest)} clips, {len(manifest.classes)} classes")
    if folds is not None:
        _echo("folds: " + ", ".join(f"{f}: {n}" for f, n in sorted(Counter(folds.tolist()).items())))
    else:
        _echo("folds: none predefined (cross-validation uses stratified group k-fold)")
    counts = Counter(c.label for c in manifest.clips)
    _echo("per class: " + ", ".join(f"{c} {counts[c]}" for c in manifest.classes[:10]) + (" …" if len(manifest.classes) > 10 else ""))


@data_app.command("list")
def data_list() -> None:
    """The datasets envsound knows by name."""
    from envsound.data import DATASETS

    for info in DATASETS.values():
        human = f", humans {info.human_accuracy:.1%}" if info.human_accuracy else ""
        _echo(f"{info.name:13s} {info.description} [{info.license}{human}]")


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
        _echo(f"problem: {problem}")
    if len(report.problems) > 50:
        _echo(f"… and {len(report.problems) - 50} more problems")
    _echo(f"{report.checked_files} files present, {report.checked_hashes} checksums matched, {len(report.problems)} problems")
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
    _echo(f"\n{info.name} ready at {path} (verified)")


def _download_progress():
    state = {"last": -1}

    def show(done: int, total: int | None) -> None:
        mb = done // (1 << 20)
        if mb != state["last"]:
            state["last"] = mb
            sys.stderr.write(f"\r{mb} MiB" + (f" of {total // (1 << 20)} MiB" if total else ""))

    return show


def _run_config(model: Optional[str], dataset: Optional[str], data: Optional[str], folds: Optional[str], epochs: Optional[int], seed: Optional[int], config: Optional[Path], settings: Optional[List[str]] = None):
    """A --config file's settings, with what the command line gives explicitly on top."""
    from dataclasses import replace

    from envsound.config import RunConfig, parse_overrides
    from envsound.data import dataset_info
    from envsound.models.registry import resolve

    cfg = RunConfig.from_dict(json.loads(config.read_text())) if config else RunConfig()
    cfg = replace(cfg, dataset=dataset or cfg.dataset, data_root=data or cfg.data_root)
    info = dataset_info(cfg.dataset)
    if info is not None and not config:  # a named corpus sets the clip length its features use
        cfg = replace(cfg, features=replace(cfg.features, clip_seconds=info.clip_seconds))
    changes = {key: value for key, value in (("model", model), ("seed", seed), ("epochs", epochs)) if value is not None}
    cfg = cfg.with_train(**changes, **parse_overrides(settings or []))
    if folds:
        try:
            cfg = replace(cfg, folds=tuple(int(f) for f in folds.split(",")))
        except ValueError:
            raise ConfigError(f"--folds takes comma-separated integers, got '{folds}'") from None
    return resolve(cfg)  # the model's own front end, and its options checked before any work


@app.command()
def cv(
    model: Optional[str] = typer.Option(None, help="Model name (see `envsound models`); default: the config's, else compact."),
    dataset: Optional[str] = typer.Option(None, help="esc50, esc10, a folder-per-class path or a CSV manifest; default: the config's, else esc50."),
    data: Optional[str] = DATA_OPT,
    out: Optional[Path] = typer.Option(None, help="Run folder to create (default runs/<dataset>-<model>)."),
    folds: Optional[str] = typer.Option(None, help="Comma-separated folds to run (default: all)."),
    epochs: Optional[int] = typer.Option(None, help="Training epochs per fold."),
    seed: Optional[int] = typer.Option(None, help="Random seed (recorded in config.json); default: the config's, else 0."),
    config: Optional[Path] = typer.Option(None, help="JSON RunConfig to start from."),
    settings: Optional[List[str]] = SET_OPT,
    resume: Optional[Path] = typer.Option(None, help="Continue an interrupted run folder."),
    no_report: bool = typer.Option(False, "--no-report", help="Skip writing report.html at the end."),
    save_models: bool = typer.Option(False, "--save-models", help="Keep each fold's trained model (fold-K/model.pt) to score it again later (robustness, calibration)."),
    engine: str = typer.Option("local", help="local: folds one after another here; ray: every fold a Ray task (pip install 'envsound[distributed]')."),
    address: Optional[str] = ADDRESS_OPT,
    seeds: Optional[str] = typer.Option(None, help="Comma-separated seeds: one run folder per seed (OUT-seedN), all folds of all of them as jobs."),
    sweep: Optional[str] = typer.Option(None, help="KEY=V1,V2,...: one run folder per value of a training setting (OUT-KEYV), with --seeds too."),
    cpus_per_fold: int = typer.Option(1, help="With --engine ray: CPUs (and torch threads) per fold task."),
    device: str = TRAIN_DEVICE_OPT,
) -> None:
    """Cross-validate on official folds (or stratified group folds) and write metrics.json."""
    from dataclasses import replace

    from envsound.devices import use_training_device
    from envsound.engines import check_engine
    from envsound.training.crossval import cross_validate, cross_validate_runs
    from envsound.training.distributed import finish, init_from_env

    check_engine(engine)
    if use_training_device(device).type != "cpu" and engine == "ray":
        raise ConfigError("--engine ray trains its fold tasks on the CPU; use --engine local (or torchrun) with --device cuda")
    world = init_from_env()  # under torchrun: this process's rank; one process otherwise
    if resume:
        runs = [(None, resume)]
    else:
        cfg = _run_config(model, dataset, data, folds, epochs, seed, config, settings)
        run_dir = out or Path("runs") / f"{Path(cfg.dataset).stem}-{cfg.train.model}"
        runs = [(cfg, run_dir)]
        if sweep:
            from envsound.config import parse_sweep, run_name_part
            from envsound.models.registry import resolve

            key, values = parse_sweep(sweep)
            runs = [(resolve(c.with_train(**{key: v})), d.with_name(f"{d.name}-{run_name_part(key, v)}")) for c, d in runs for v in values]
        if seeds:
            try:
                chosen = [int(s) for s in seeds.split(",") if s.strip()]
            except ValueError:
                raise ConfigError(f"--seeds takes comma-separated integers, got '{seeds}'") from None
            runs = [(replace(c, train=replace(c.train, seed=s)), d.with_name(f"{d.name}-seed{s}")) for c, d in runs for s in chosen]
    if engine == "ray":
        results = cross_validate_runs(runs, resume=bool(resume), command=_command_line(), save_models=save_models, address=address, cpus_per_fold=cpus_per_fold)
    else:
        results = [cross_validate(c, d, resume=bool(resume), command=_command_line(), save_models=save_models) for c, d in runs]
    if not world.is_main:
        finish()
    for (_, run_dir), metrics in zip(runs, results):
        _echo(f"{metrics['mean_accuracy']:.4f} ± {metrics['std_accuracy']:.4f} mean accuracy; results in {run_dir}")
        if not no_report:
            from envsound.evaluation.report import build_report

            _echo(f"report: {build_report(run_dir)}")
    finish()  # under torchrun: all ranks leave together (a no-op in one process)


@app.command()
def train(
    out: Path = typer.Option(..., help="Model file to write."),
    model: Optional[str] = typer.Option(None, help="Model name (see `envsound models`); default: the config's, else compact."),
    dataset: Optional[str] = typer.Option(None, help="Dataset; default: the config's, else esc50."),
    data: Optional[str] = DATA_OPT,
    epochs: Optional[int] = typer.Option(None),
    seed: Optional[int] = typer.Option(None, help="Random seed; default: the config's, else 0."),
    config: Optional[Path] = typer.Option(None, help="JSON RunConfig to start from."),
    settings: Optional[List[str]] = SET_OPT,
    device: str = TRAIN_DEVICE_OPT,
) -> None:
    """Train on every clip of a dataset and write one model file (data-parallel under torchrun)."""
    from envsound.devices import use_training_device
    from envsound.training.distributed import finish, init_from_env
    from envsound.training.fit import train as fit

    use_training_device(device)
    init_from_env()
    fit(_run_config(model, dataset, data, None, epochs, seed, config, settings), out, command=_command_line())
    finish()


@app.command()
def predict(
    files: List[str] = typer.Argument(..., help="Audio files, folders (searched recursively) or glob patterns."),
    model: Optional[Path] = typer.Option(None, help=MODEL_HELP),
    top_k: int = typer.Option(5, "--top-k", help="Labels to show per file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    audioset: bool = typer.Option(False, "--audioset", help="Show the pretrained backbone's own AudioSet tags instead."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write results to a .csv or .json file."),
    batch_size: Optional[int] = typer.Option(None, help="Windows per model call (peak memory grows with it); default: the fastest here, 8 with torch, 1 with an ONNX waveform graph."),
    backend: str = typer.Option("torch", help="torch, or onnx (needs --model FILE.onnx from `envsound export`)."),
    device: str = typer.Option("auto", help="Where the torch network runs: auto (a GPU if torch sees one), cpu, cuda, cuda:N."),
    no_abstain: bool = typer.Option(False, "--no-abstain", help="Always answer with the top label, even below the model's confidence threshold."),
    tta: int = typer.Option(0, help=f"Test-time augmentation: also score N (at most {MAX_TTA}) circularly shifted copies of each window and average (N+1 times the work)."),
    engine: str = CORPUS_ENGINE_OPT,
    address: Optional[str] = ADDRESS_OPT,
    actors: int = ACTORS_OPT,
    cpus_per_actor: float = CPUS_PER_ACTOR_OPT,
    gpus_per_actor: float = GPUS_PER_ACTOR_OPT,
    shard_files: int = SHARD_FILES_OPT,
    batch_files: int = BATCH_FILES_OPT,
) -> None:
    """Top-k labels with probabilities for each file (any format, rate, channels, length).

    A model with a calibration (the shipped one has) prints calibrated probabilities and answers
    "unknown (closest: …)" when its top probability is under the threshold it was fitted with."""
    from envsound.engines import check_engine
    from envsound.inference.predict import Predictor, expand_inputs, write_predictions

    if check_engine(engine) == "ray":
        if output is None or output.suffix:
            raise ConfigError("--engine ray writes Parquet shards into a folder: give --output FOLDER")
        from envsound.inference.shipped import resolve_model

        _corpus("predict", files, output, address, actors, cpus_per_actor, gpus_per_actor, shard_files, batch_files, model=str(resolve_model(model)), top_k=top_k)
        return
    paths = expand_inputs(files)
    if not paths:
        raise ConfigError(f"no audio files found in: {' '.join(files)}")
    predictor = Predictor.from_file(model, backend=backend, device=device, abstain=not no_abstain, tta=tta)
    if audioset:
        results = [predictor.audioset_tags(f, top_k=top_k) for f in paths]
    else:
        results = predictor.predict(paths, top_k=top_k, batch_size=batch_size, progress=len(paths) > 20)
    if output:
        write_predictions(results, output)
        failed = sum(1 for r in results if r.error)
        _echo(f"{len(results) - failed} files predicted, {failed} failed → {output}")
        for r in results:
            if r.error:
                typer.echo(f"error: {r.error}", err=True)
    elif as_json:
        _echo(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        for r in results:
            if r.error:
                typer.echo(f"error: {r.error}", err=True)
                continue
            _echo(r.file + (f"  (warning: {r.warning})" if r.warning else ""))
            if r.abstained:
                _echo(f"  unknown (closest: {r.labels[0]} {r.probabilities[0]:.1%}, under the model's confidence threshold)")
            for label, p in zip(r.labels, r.probabilities):
                _echo(f"  {p:6.1%}  {label}")
    if any(r.error for r in results):
        raise typer.Exit(1)


@app.command()
def timeline(
    file: Path = typer.Argument(..., help="A recording of any length."),
    model: Optional[Path] = typer.Option(None, help=MODEL_HELP),
    window: float = typer.Option(TIMELINE_WINDOW, help=f"Window length in seconds, 0.5 to {MAX_WINDOW_SECONDS:g} (shorter localises better)."),
    hop: float = typer.Option(TIMELINE_HOP, help="Hop between windows in seconds: the time resolution."),
    threshold: float = typer.Option(TIMELINE_THRESHOLD, help="Minimum probability for a labelled segment."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write segments to .csv or .json."),
    plot: Optional[Path] = typer.Option(None, help="Draw the spectrogram with the segments under it (PNG)."),
    device: str = typer.Option("auto", help="Where the torch network runs: auto, cpu, cuda, cuda:N."),
    no_abstain: bool = typer.Option(False, "--no-abstain", help="Label every segment, even below the model's confidence threshold."),
) -> None:
    """Label a long recording: sliding windows -> merged segments (label, start, end, confidence)."""
    from envsound.evaluation.plots import timeline_figure
    from envsound.inference.predict import Predictor
    from envsound.inference.timeline import check_threshold, compute_timeline, write_segments

    check_threshold(threshold)  # before the recording is scored, not after
    predictor = Predictor.from_file(model, device=device, abstain=not no_abstain)
    result = compute_timeline(predictor, file, window, hop, overview=plot is not None)
    segments = result.segments(threshold)
    if output:
        write_segments(segments, output)
    if plot:
        timeline_figure(result, segments, plot)
    for seg in segments:
        _echo(f"{seg.start:8.2f} {seg.end:8.2f}  {seg.confidence:5.1%}  {seg.label}")


def _corpus(task: str, inputs: List[str], out: Path, address: Optional[str], actors: int, cpus: float, gpus: float, shard_files: int, batch_files: int, **settings) -> None:
    from envsound.inference.corpus import run_corpus

    done = run_corpus(task, inputs, out, address=address, actors=actors, cpus=cpus, gpus=gpus, shard_files=shard_files, batch_files=batch_files, **settings)
    _echo(f"{done.files} files in {done.shards} shards ({done.shards_written} written now, {done.errors} unreadable files reported as rows) → {done.out}")


@app.command()
def listen(
    source: Optional[str] = typer.Argument(None, help="'-' for a WAV (or, with --raw, PCM) stream on standard input; omitted: the default microphone."),
    model: Optional[Path] = typer.Option(None, help=MODEL_HELP),
    window: float = typer.Option(TIMELINE_WINDOW, help="Window length in seconds."),
    hop: float = typer.Option(TIMELINE_HOP, help="A new answer every HOP seconds."),
    top_k: int = typer.Option(3, "--top-k", help="Labels shown per window."),
    jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object per window (and per skip, and at the end) on standard output."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="When the stream ends, write its segments to .csv or .json (as timeline does)."),
    threshold: float = typer.Option(TIMELINE_THRESHOLD, help="Minimum probability for a labelled segment."),
    every_window: bool = typer.Option(False, "--every-window", help="Score every window even when behind real time (a recording piped in faster than it plays)."),
    max_lag: float = typer.Option(1.0, help="Seconds behind the stream before windows are skipped to catch up."),
    raw: bool = typer.Option(False, "--raw", help="Standard input is headerless 16-bit PCM (with --rate and --channels)."),
    rate: int = typer.Option(16000, help="With --raw: the stream's sample rate."),
    channels: int = typer.Option(1, help="With --raw: the stream's channel count."),
    input_device: Optional[str] = typer.Option(None, help="Microphone: a sounddevice device name or index (default: the system's)."),
    device: str = typer.Option("auto", help="Where the torch network runs: auto, cpu, cuda, cuda:N."),
    no_abstain: bool = typer.Option(False, "--no-abstain", help="Always name the closest class, even below the model's confidence threshold."),
) -> None:
    """Classify a live stream: a label every hop from the microphone or standard input (ffmpeg -i URL -f wav - | envsound listen -)."""
    import json
    import sys

    from rich.console import Console
    from rich.text import Text

    from envsound.audio import RawFormat, microphone_blocks, stream_pipe
    from envsound.inference.listen import Heard, Listener, Skipped
    from envsound.inference.predict import Predictor
    from envsound.inference.timeline import write_segments

    if source not in (None, "-"):
        raise ConfigError(f"listen reads '-' (standard input) or, with no argument, the microphone; for a file use `envsound timeline {source}`")
    if output is not None and output.suffix.lower() not in (".csv", ".json"):
        raise ConfigError("--output must end in .csv or .json")
    predictor = Predictor.from_file(model, device=device, abstain=not no_abstain)
    listener = Listener(predictor, window, hop, top_k, keep_up=not every_window, max_lag=max_lag, threshold=threshold)
    rate_in = predictor.extractor.sample_rate
    if source == "-":
        blocks = stream_pipe(sys.stdin.buffer.fileno(), rate_in, RawFormat(rate, channels) if raw else None)
    else:
        blocks = microphone_blocks(rate_in, int(input_device) if input_device and input_device.isdigit() else input_device)
    console = Console(stderr=True)
    live_line = console.is_terminal and not jsonl

    def on_window(heard: Heard) -> None:
        if jsonl:
            print(json.dumps(heard.to_dict()), flush=True)
            return
        shown = " · ".join(f"{label} {p:.0%}" for label, p in zip(heard.labels, heard.probabilities))
        line = f"{heard.end:8.1f} s  {heard.answer:<18}  {shown}"
        if live_line:
            console.print(Text(line), end="\r", overflow="crop", no_wrap=True)
        else:
            print(line, flush=True)

    def on_skip(skip: Skipped) -> None:
        if jsonl:
            print(json.dumps(skip.to_dict()), flush=True)
        console.print(Text(f"skipped {skip.seconds:.1f} s at {skip.at:.1f} s: scoring is slower than real time" + ("" if every_window else " (--every-window scores them all)")))

    summary = listener.listen(blocks, on_window, on_skip)  # Ctrl-C ends the stream; what was heard is kept
    if live_line:
        console.print()
    if output is not None:
        write_segments(summary.segments, output)
    if jsonl:
        print(json.dumps(summary.to_dict()), flush=True)
    console.print(Text(f"{summary.seconds:.1f} s heard, {summary.windows} windows, {summary.skipped_seconds:.1f} s skipped, "
                       f"real-time factor {summary.real_time_factor:.3f}, slowest answer {summary.max_latency:.2f} s after its window"))


@app.command()
def embed(
    files: List[str] = typer.Argument(..., help="Audio files, folders (searched recursively) or glob patterns."),
    out: Path = typer.Option(..., "--out", "-o", help="The .npz to write."),
    views: str = typer.Option("mean", help="Comma-separated, concatenated in order: mean, time_max, hidden, audioset."),
    checkpoint: str = typer.Option(DEFAULT_CHECKPOINT, help="Pretrained backbone (see `envsound weights list`)."),
    engine: str = CORPUS_ENGINE_OPT,
    address: Optional[str] = ADDRESS_OPT,
    actors: int = ACTORS_OPT,
    cpus_per_actor: float = CPUS_PER_ACTOR_OPT,
    gpus_per_actor: float = GPUS_PER_ACTOR_OPT,
    shard_files: int = SHARD_FILES_OPT,
    batch_files: int = BATCH_FILES_OPT,
) -> None:
    """Frozen AudioSet-backbone embeddings per file and per 5-s window, for your own classifier or search."""
    from envsound.engines import check_engine
    from envsound.inference.embed import check_output_path, embed_files
    from envsound.inference.predict import expand_inputs

    if check_engine(engine) == "ray":
        if out.suffix:
            raise ConfigError("--engine ray writes Parquet shards into a folder: give --out FOLDER")
        _corpus("embed", files, out, address, actors, cpus_per_actor, gpus_per_actor, shard_files, batch_files, checkpoint=checkpoint, views=tuple(v.strip() for v in views.split(",") if v.strip()))
        return

    check_output_path(out)  # before the work, not after it
    paths = expand_inputs(files)
    if not paths:
        raise ConfigError(f"no audio files found in: {' '.join(files)}")
    result = embed_files(paths, checkpoint, tuple(v.strip() for v in views.split(",") if v.strip()), progress=len(paths) > 20)
    if result.files:
        result.save(out)
        _echo(f"{len(result.files)} files ({len(result.window)} windows) × {result.clip.shape[1]} numbers → {out}")
    for error in result.errors.values():
        typer.echo(f"error: {error}", err=True)
    if result.errors:
        raise typer.Exit(1)


@app.command()
def augment(
    dataset: str = typer.Argument(..., help="esc50, esc10, a folder-per-class path or a CSV manifest."),
    out: Path = typer.Option(..., help="Folder for audio/ and manifest.csv (re-running resumes)."),
    transforms: str = typer.Option("noise,shift,pitch,stretch", help="Comma-separated: noise, shift, pitch, stretch, gain, background; real-world: mix (another training clip of the same fold), room, band, codec, noise_snr, excerpt, floor, onset."),
    copies: int = typer.Option(1, help="Copies per clip and transform."),
    seed: int = typer.Option(0),
    data: Optional[str] = DATA_OPT,
    background: Optional[str] = typer.Option(None, help="Folder of noise recordings for the background transform."),
    sample_rate: Optional[int] = typer.Option(None, help="Rate the copies are made and written at (default: the dataset's)."),
    workers: int = typer.Option(2),
) -> None:
    """Write an augmented dataset: every copy keeps its source clip's fold and records its parameters."""
    from envsound.augment.offline import augment_dataset
    from envsound.data import load_dataset

    manifest = load_dataset(dataset, data)
    path = augment_dataset(manifest, out, tuple(t.strip() for t in transforms.split(",") if t.strip()), copies, seed, sample_rate=sample_rate,
                           background=background, workers=workers, seconds=None if dataset not in ("esc50", "esc10") else 5.0)
    _echo(f"{path}  (train on it with: envsound cv --dataset {path})")


@app.command()
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000), model: Optional[Path] = typer.Option(None, help=MODEL_HELP)) -> None:
    """Start the local web demo: upload or record a clip, see labels, spectrogram and timeline."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be from 0 to 65535, got {port}")
    try:
        from envsound.serve.app import serve as run
    except ImportError:
        raise ConfigError("the web demo needs its extras: pip install 'envsound[serve]'") from None
    run(host, port, model)


@app.command()
def export(
    model: Optional[Path] = typer.Argument(None, help=MODEL_HELP),
    onnx: Path = typer.Option(..., "--onnx", help="ONNX file to write (plus FILE.onnx.json)."),
    front_end: str = typer.Option("graph", help="graph: the STFT/mel front end inside the ONNX file (waveform in; mn04 models); numpy: outside it."),
    int8: bool = typer.Option(False, "--int8", help="Dynamic int8 quantisation of the weights (smaller; see benchmarks/onnx_int8.py for its accuracy)."),
) -> None:
    """Export a network to ONNX: waveform in, class scores out (mn04 models; others take NumPy features)."""
    from envsound.inference.onnx_export import export_onnx
    from envsound.inference.shipped import resolve_model

    _echo(str(export_onnx(resolve_model(model), onnx, front_end=front_end, int8=int8)))


@app.command()
def card(
    model: Optional[Path] = typer.Argument(None, help=MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the whole card as JSON."),
) -> None:
    """What a model file is: network, classes, how it was made, its licence, its calibration."""
    from envsound.inference.shipped import resolve_model
    from envsound.models.model_file import model_card

    path = resolve_model(model)
    if path.suffix.lower() == ".onnx":
        raise ConfigError(f"{path}: an ONNX export; its settings are in {path}.json, and its card is the model file it was exported from")
    info = model_card(path)
    if as_json:
        _echo(json.dumps(info, indent=2))
        return
    details = info["info"]
    members = f", {info['members']} networks averaged" if info["members"] > 1 else ""
    _echo(f"{info['file']} ({info['megabytes']} MB): {info['model']}{members}, {info['sample_rate']} Hz input")
    _echo(f"classes ({len(info['classes'])}): {', '.join(info['classes'])}")
    for key, name in (("how", "how"), ("license", "licence"), ("cross_validation", "cross-validation"), ("command", "made by"), ("calibrated_from", "calibrated on")):
        if details.get(key):
            _echo(f"{name}: {details[key]}")
    if not details.get("license"):
        _echo("licence: not recorded in the file (a model follows its training data's and its pretrained backbone's)")
    cal = info["calibration"]
    if cal is None:
        _echo("calibration: none (probabilities as trained; never answers 'unknown'; add one with `envsound calibrate`)")
    else:
        cuts = [f"calibrated top probability below {cal['abstain_below']:.3f}"] if cal["abstain_below"] is not None else []
        cuts += [f"embedding distance above {cal['distance_above']:.0f}"] if cal["distance_above"] is not None else []
        cuts += [f"exposure score above {cal['exposure_above']:.0f}"] if cal["exposure_above"] is not None else []
        unknown = f"; 'unknown' when {' or '.join(cuts)}" if cuts else ""
        _echo(f"calibration: temperature {cal['temperature']:.3f}{unknown}")


@app.command("upgrade-model")
def upgrade_model(old: Path = typer.Argument(..., help="A model file from envsound 0.1."), out: Path = typer.Option(..., help="The model file to write.")) -> None:
    """Convert an envsound 0.1 network model file to the current format (checksummed, loads without
    running code). The old file is read as tensors only, so converting is as safe as loading."""
    from envsound.models.model_file import load_model
    from envsound.models.model_file import upgrade_model as upgrade

    upgrade(old, out)
    load_model(out)
    _echo(f"{old} → {out}")


@app.command()
def show(file: Path = typer.Argument(..., help="Audio file."), out: Optional[Path] = typer.Option(None, "-o", "--out", help="PNG to write (default FILE.png beside the audio)."), sample_rate: int = typer.Option(16000, help="Rate to view it at.")) -> None:
    """Waveform, spectrogram and mel-spectrogram of one clip, as a PNG."""
    from envsound.audio import load_audio
    from envsound.evaluation.plots import clip_figure

    signal = load_audio(file, sample_rate)
    target = out or file.with_suffix(".png")
    clip_figure(signal, sample_rate, target, f"{file.name} ({len(signal) / sample_rate:.2f} s at {sample_rate} Hz)")
    _echo(str(target))


@app.command()
def report(run_dir: Path = typer.Argument(..., help="A finished `envsound cv` run folder.")) -> None:
    """Write RUN_DIR/report.html (self-contained) and the PNGs in RUN_DIR/report/."""
    from envsound.evaluation.report import build_report

    _echo(str(build_report(run_dir)))


@app.command()
def compare(
    run_dirs: List[Path] = typer.Argument(..., help="Finished run folders."),
    out: Path = typer.Option(Path("compare.png"), help="Bar chart to write."),
    labels: Optional[str] = typer.Option(None, help="Comma-separated names for the runs (default: folder names)."),
    baseline: Optional[str] = typer.Option(None, help="Name of the run to pair the others against, fold by fold (adds a gain panel)."),
) -> None:
    """A table and a bar chart of mean ± std accuracy across runs."""
    from envsound.evaluation.compare import compare_runs

    _echo(compare_runs(list(run_dirs), out, labels=labels.split(",") if labels else None, baseline=baseline))
    _echo(f"chart: {out}")


@app.command()
def robustness(
    run_dirs: List[Path] = typer.Argument(..., help="Finished `envsound cv --save-models` runs (several: scored as their ensemble)."),
    out: Path = typer.Option(..., "--out", "-o", help="JSON file to write."),
    corruptions: Optional[str] = typer.Option(None, help="Comma-separated subset (default all): white_noise, pink_noise, background, reverb, band_limit, codec, clipping, crop."),
    seed: int = typer.Option(0, help="Seed of the corruptions (recorded)."),
) -> None:
    """ESC-50-C: each fold's saved model(s) on that fold's test clips, corrupted at three severities."""
    from envsound.augment.corruptions import CORRUPTIONS
    from envsound.evaluation.robustness import robustness as measure
    from envsound.utils import write_json

    chosen = tuple(c.strip() for c in corruptions.split(",")) if corruptions else CORRUPTIONS
    unknown = set(chosen) - set(CORRUPTIONS)
    if unknown:
        raise ConfigError(f"unknown corruptions {sorted(unknown)}; known: {', '.join(CORRUPTIONS)}")
    result = measure(run_dirs, chosen, seed=seed)
    write_json(out, {**result, "command": _command_line()})
    _echo(f"clean {result['clean_accuracy']:.1%}, mean corruption accuracy {result['mean_corruption_accuracy']:.1%} "
          f"(drop {result['drop_from_clean']:.1%}) over {result['clips']} clips → {out}")
    for name, accs in result["accuracy"].items():
        _echo(f"  {name:12s} " + "  ".join(f"{a:6.1%}" for a in accs))


@app.command()
def calibrate(
    run_dir: Path = typer.Argument(..., help="A finished `envsound cv` or `envsound ensemble` run of the model's recipe."),
    model: Optional[Path] = typer.Option(None, help="A model file trained on all folds with that recipe, to write with the calibration."),
    out: Optional[Path] = typer.Option(None, help="Where to write the calibrated model file (with --model)."),
    recall: float = typer.Option(0.95, help="Share of in-set clips the abstention threshold keeps answered."),
    novelty: bool = typer.Option(True, help="With --model: also abstain on clips whose embedding is far from every class (Mahalanobis)."),
    exposure: Optional[Path] = typer.Option(None, help="With --model: a folder of sounds that are none of the classes (music, speech, UI tones, ...); "
                                            "a third cut then abstains on clips nearer them than the classes allow (outlier exposure)."),
) -> None:
    """Fit temperature scaling and an abstention threshold on a run's out-of-fold predictions.

    Prints the cross-fitted figures (each fold calibrated from the other folds only); with --model
    and --out, writes that model file with the calibration fitted on all folds' predictions, so
    `predict` prints calibrated probabilities and answers "unknown" below the threshold."""
    from envsound.evaluation.calibration import calibrate_run

    if not 0.5 <= recall < 1.0:
        raise ConfigError(f"--recall must be in [0.5, 1), got {recall}")
    if (model is None) != (out is None):
        raise ConfigError("--model and --out go together")
    from envsound.models.model_file import load_model, save_model

    if exposure is not None and (model is None or not novelty):
        raise ConfigError("--exposure needs --model and --novelty")
    if exposure is not None and not exposure.is_dir():
        raise ConfigError(f"--exposure {exposure}: not a folder")
    loaded = load_model(model) if model is not None else None
    figures, final, stats = calibrate_run(run_dir, recall, loaded if novelty else None, exposure)
    _echo(f"cross-fitted: ECE {figures['ece']:.2%} -> {figures['ece_calibrated']:.2%}, NLL {figures['nll']:.3f} -> {figures['nll_calibrated']:.3f}; "
          f"abstaining answers {figures['coverage']:.1%} of clips, {figures['accuracy_answered']:.1%} of those right (all: {figures['accuracy']:.1%})")
    distance = f", or distance above {final.distance_above:.0f}" if final.distance_above is not None else ""
    distance += f", or exposure score above {final.exposure_above:.0f}" if final.exposure_above is not None else ""
    _echo(f"fitted on all folds: temperature {final.temperature:.3f}, unknown below {final.abstain_below:.3f}{distance}")
    if loaded is not None and out is not None:
        info = {**loaded.info, "calibrated_from": str(run_dir)}
        info.pop("exposure", None)
        if exposure is not None:
            info["exposure"] = str(exposure)
        save_model(out, loaded.spec, loaded.model, loaded.classes, loaded.config, info, final, stats)
        _echo(f"calibrated model → {out}")


@app.command()
def ensemble(
    run_dirs: List[Path] = typer.Argument(..., help="Finished `envsound cv` runs on the same dataset and folds."),
    out: Path = typer.Option(..., help="Run folder to write (metrics.json, per-fold predictions, report.html)."),
    no_report: bool = typer.Option(False, "--no-report", help="Skip writing report.html."),
) -> None:
    """Average the runs' predicted probabilities fold by fold: an ensemble scored on the same test folds."""
    from envsound.evaluation.ensemble import ensemble_runs

    metrics = ensemble_runs(list(run_dirs), out, command=_command_line())
    _echo(f"ensemble of {len(run_dirs)} runs: {metrics['mean_accuracy']:.1%} ± {metrics['std_accuracy']:.1%} over folds {metrics['folds']} → {out / 'metrics.json'}")
    if not no_report:
        from envsound.evaluation.report import build_report

        _echo(f"report: {build_report(out)}")


weights_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Pretrained checkpoints: list, download.")
app.add_typer(weights_app, name="weights")


@weights_app.command("list")
def weights_list() -> None:
    """Known checkpoints, and whether each is available offline."""
    from envsound.errors import DownloadError
    from envsound.models.weights import CHECKPOINTS, weights_path

    for ckpt in CHECKPOINTS.values():
        try:
            where = str(weights_path(ckpt.name, download=False))
        except DownloadError:
            where = "not downloaded"
        usable = "" if ckpt.family == "mn" else "  (DyMN: download only, not loadable by envsound)"
        _echo(f"{ckpt.name:9s} width {ckpt.width:<4g} {ckpt.params_millions:6.2f} M params  AudioSet mAP {ckpt.audioset_map:.3f}  {where}{usable}")


@weights_app.command("download")
def weights_download(name: str = typer.Argument(DEFAULT_CHECKPOINT), url: Optional[str] = typer.Option(None, help="Mirror URL of the file.")) -> None:
    """Download a checkpoint into the cache, verifying its sha256 where known."""
    from envsound.data.fetch import recorded_sha256
    from envsound.models.weights import get_checkpoint, verify, weights_path

    path = weights_path(name, url=url)
    status = {True: "sha256 verified", False: "SHA256 MISMATCH", None: "no checksum known"}[verify(name, path)]
    if get_checkpoint(name).sha256 is None and recorded_sha256(path):
        status = f"no published checksum; sha256 {recorded_sha256(path)} recorded at download"
    _echo(f"{name}: {path} ({status})")


cache_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="The feature cache: list, clear.")
app.add_typer(cache_app, name="cache")


@cache_app.command("list")
def cache_list() -> None:
    """Cached feature arrays (dataset-features-key), their size and last use."""
    from datetime import datetime

    from envsound.features.cache import cache_entries, default_cache_dir

    entries = cache_entries()
    for e in entries:
        _echo(f"{e.size_bytes / 1e6:9.1f} MB  last used {datetime.fromtimestamp(e.last_used):%Y-%m-%d %H:%M}  {e.path.name}")
    _echo(f"{len(entries)} entries, {sum(e.size_bytes for e in entries) / 1e6:.1f} MB in {default_cache_dir()} (set $ENVSOUND_CACHE to move it)")


@cache_app.command("clear")
def cache_clear(unused_days: Optional[float] = typer.Option(None, "--unused-days", help="Only entries not used for this many days.")) -> None:
    """Delete cached features; they are recomputed when next needed."""
    from envsound.features.cache import clear_cache

    removed = clear_cache(unused_days=unused_days)
    _echo(f"removed {len(removed)} entries, {sum(e.size_bytes for e in removed) / 1e6:.1f} MB")


@app.command("models")
def list_models() -> None:
    """Models envsound can train."""
    from envsound.models.registry import MODELS

    for spec in MODELS.values():
        _echo(f"{spec.name:16s} {spec.method:12s} {spec.description}")


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage errors (unknown option, missing argument, bad value), as this typer raises
    them: typer 0.2x vendors click (its errors subclass ``typer.TyperException``); older typer
    raised click's own. Either way they carry ``show()`` and ``exit_code``."""
    kinds: list[type[Exception]] = []
    if hasattr(typer, "TyperException"):
        kinds.append(typer.TyperException)
    try:
        import click

        kinds.append(click.exceptions.ClickException)
    except ImportError:
        pass
    return tuple(kinds)


def main() -> None:
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code instead of raising
        sys.exit(code if isinstance(code, int) else 0)
    except EnvsoundError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted; resume with `envsound cv --resume RUN_DIR`", err=True)
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort:
        sys.exit(1)
    except OSError as err:  # the machine said no (permission, disk full, no such folder): one line, not a traceback
        where = f": {err.filename}" if err.filename else ""
        typer.echo(f"error: {err.strerror or err}{where}", err=True)
        sys.exit(1)
    except _usage_errors() as err:  # non-standalone mode hands usage errors to the caller
        err.show()
        sys.exit(err.exit_code)


if __name__ == "__main__":
    main()
