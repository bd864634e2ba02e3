"""Commands that use a model on audio: predict, timeline, listen, embed, index and similar, export, serve."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from envsound.cli.corpus_options import ACTORS_OPT, BATCH_FILES, CPUS_PER_ACTOR_OPT, SHARD_FILES_OPT, CorpusEngine, corpus_engine_options
from envsound.cli.options import ADDRESS_OPT, MODEL_HELP, echo
from envsound.defaults import DEFAULT_CHECKPOINT, MAX_TTA, MAX_WINDOW_SECONDS, TIMELINE_HOP, TIMELINE_THRESHOLD, TIMELINE_WINDOW
from envsound.errors import ConfigError

SILENT_DB = -80.0  # no frame above this: nothing audible (predict's SILENCE_PEAK, as a level)

@corpus_engine_options
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
    no_abstain: bool = typer.Option(False, "--no-abstain", help="Never answer 'unknown': name the closest class, even below the model's confidence threshold ('background' stays)."),
    tta: int = typer.Option(0, help=f"Test-time augmentation: also score N (at most {MAX_TTA}) circularly shifted copies of each window and average (N+1 times the work)."),
    corpus: CorpusEngine = None,  # type: ignore[assignment]  # --engine and the Ray options, from @corpus_engine_options
) -> None:
    """Top-k labels with probabilities for each file (any format, rate, channels, length).

    A model with a calibration (the shipped one has) prints calibrated probabilities and answers
    "unknown (closest: …)" when its top probability is under the threshold it was fitted with,
    and "background" when its background detector hears no event (hiss, room tone, hum)."""
    from envsound.inference.predict import Predictor, expand_inputs, write_predictions
    from envsound.utils import check_writable, table_format

    if corpus.is_ray:
        if output is None or output.suffix:
            raise ConfigError("--engine ray writes Parquet shards into a folder: give --output FOLDER")
        from envsound.inference.shipped import resolve_model

        corpus.run("predict", files, output, model=str(resolve_model(model)), top_k=top_k)
        return
    if output is not None:
        check_writable(output)  # before the work, not after it
        table_format(output)
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
        echo(f"{len(results) - failed} files predicted, {failed} failed → {output}")
        for r in results:
            if r.error:
                typer.echo(f"error: {r.error}", err=True)
    elif as_json:
        echo(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        for r in results:
            if r.error:
                typer.echo(f"error: {r.error}", err=True)
                continue
            echo(r.file + (f"  (warning: {r.warning})" if r.warning else ""))
            if r.background:
                echo(f"  background: no event heard (closest class: {r.labels[0]} {r.probabilities[0]:.1%})")
            elif r.abstained:
                echo(f"  unknown (closest: {r.labels[0]} {r.probabilities[0]:.1%}, under the model's confidence threshold)")
            for label, p in zip(r.labels, r.probabilities):
                echo(f"  {p:6.1%}  {label}")
    if any(r.error for r in results):
        raise typer.Exit(1)


def timeline(
    file: Path = typer.Argument(..., help="A recording of any length."),
    model: Optional[Path] = typer.Option(None, help=MODEL_HELP),
    window: float = typer.Option(TIMELINE_WINDOW, help=f"Window length in seconds, 0.5 to {MAX_WINDOW_SECONDS:g} (shorter localises better)."),
    hop: float = typer.Option(TIMELINE_HOP, help="Hop between windows in seconds: the time resolution."),
    threshold: float = typer.Option(TIMELINE_THRESHOLD, help="Minimum probability for a labelled segment."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write segments to .csv or .json (or .txt with --format audacity/raven)."),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv, json, audacity (a label track: File > Import > Labels) or raven (a selection table); default: by --output's suffix."),
    plot: Optional[Path] = typer.Option(None, help="Draw the spectrogram with the segments under it (PNG)."),
    device: str = typer.Option("auto", help="Where the torch network runs: auto, cpu, cuda, cuda:N."),
    no_abstain: bool = typer.Option(False, "--no-abstain", help="Never label an event 'unknown': name its closest class (background stays background)."),
) -> None:
    """Label a long recording: sliding windows -> sound events (label, start, end, confidence),
    with "background" where no event is heard (models with a background detector, the shipped ones)."""
    from envsound.inference.predict import Predictor
    from envsound.inference.timeline import check_threshold, compute_timeline, segments_format, write_segments
    from envsound.utils import check_writable

    check_threshold(threshold)  # before the recording is scored, not after
    if output is not None:
        segments_format(output, fmt)
        check_writable(output)
    elif fmt is not None:
        raise ConfigError("--format needs --output FILE")
    if plot is not None:
        from envsound.evaluation.plots import check_png  # matplotlib: only for a plot

        check_writable(check_png(plot))
    predictor = Predictor.from_file(model, device=device, abstain=not no_abstain)
    result = compute_timeline(predictor, file, window, hop, overview=plot is not None)
    segments = result.events(threshold)
    if result.levels is not None and (not len(result.levels) or result.levels.max() < SILENT_DB):
        typer.echo("warning: the recording is silent (no 20-ms frame above -80 dBFS); any label is not meaningful", err=True)
    if output:
        write_segments(segments, output, fmt)
    if plot:
        from envsound.evaluation.plots import timeline_figure

        timeline_figure(result, segments, plot)
    if not any(seg.label != "background" for seg in segments):
        echo(f"no events: {result.duration:.1f} s of background" if segments else "no events")
        return
    for seg in segments:
        echo(f"{seg.start:8.2f} {seg.end:8.2f}  {seg.confidence:5.1%}  {seg.label}")


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
    no_abstain: bool = typer.Option(False, "--no-abstain", help="Never answer 'unknown': name the closest class ('background' stays)."),
) -> None:
    """Classify a live stream: a label every hop from the microphone or standard input (ffmpeg -i URL -f wav - | envsound listen -)."""
    from rich.console import Console
    from rich.text import Text

    from envsound.audio import RawFormat, microphone_blocks, stream_pipe
    from envsound.inference.listen import Heard, Listener, Skipped
    from envsound.inference.predict import Predictor
    from envsound.inference.timeline import write_segments
    from envsound.utils import check_writable, table_format

    if source not in (None, "-"):
        raise ConfigError(f"listen reads '-' (standard input) or, with no argument, the microphone; for a file use `envsound timeline {source}`")
    if output is not None:
        check_writable(output)
        table_format(output)
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


@corpus_engine_options
def embed(
    files: List[str] = typer.Argument(..., help="Audio files, folders (searched recursively) or glob patterns."),
    out: Path = typer.Option(..., "--out", "-o", help="The .npz to write."),
    views: str = typer.Option("mean", help="Comma-separated, concatenated in order: mean, time_max, hidden, audioset."),
    checkpoint: str = typer.Option(DEFAULT_CHECKPOINT, help="Pretrained backbone (see `envsound weights list`)."),
    model: Optional[str] = typer.Option(None, help="Embed with this model's own embedding (what its head reads; a model you trained included) instead of the frozen backbone's."),
    corpus: CorpusEngine = None,  # type: ignore[assignment]  # --engine and the Ray options, from @corpus_engine_options
) -> None:
    """Embeddings per file and per 5-s window (the frozen AudioSet backbone's, or --model's own), for your own classifier or search."""
    from envsound.inference.embed import check_output_path, embed_files
    from envsound.inference.predict import expand_inputs
    from envsound.utils import check_writable

    if model is not None and corpus.engine != "local":
        raise ConfigError("--model embeds locally; --engine ray embeds with the frozen backbone")
    if corpus.is_ray:
        if out.suffix:
            raise ConfigError("--engine ray writes Parquet shards into a folder: give --out FOLDER")
        corpus.run("embed", files, out, checkpoint=checkpoint, views=tuple(v.strip() for v in views.split(",") if v.strip()))
        return

    check_writable(check_output_path(out))  # before the work, not after it
    inside = next((f for f in files if Path(f).is_dir() and Path(f).resolve() in out.resolve().parents), None)
    if inside is not None:
        raise ConfigError(f"{out}: inside the folder it reads ({inside}); write the embeddings somewhere else")
    paths = expand_inputs(files)
    if not paths:
        raise ConfigError(f"no audio files found in: {' '.join(files)}")
    extractor = _model_embedder(model) if model is not None else None
    result = embed_files(paths, checkpoint, tuple(v.strip() for v in views.split(",") if v.strip()), progress=len(paths) > 20, extractor=extractor)
    if result.files:
        result.save(out)
        echo(f"{len(result.files)} files ({len(result.window)} windows) × {result.clip.shape[1]} numbers → {out}")
    for error in result.errors.values():
        typer.echo(f"error: {error}", err=True)
    if result.errors:
        raise typer.Exit(1)


def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000), model: Optional[Path] = typer.Option(None, help=MODEL_HELP)) -> None:
    """Start the local web demo: upload or record a clip, see labels, spectrogram and timeline."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be from 0 to 65535, got {port}")
    try:
        from envsound.serve.app import serve as run
    except ImportError:
        raise ConfigError("the web demo needs its extras: pip install 'envsound[serve]'") from None
    run(host, port, model)


def _model_embedder(model: str):
    from envsound.inference.embed import ModelEmbedder
    from envsound.inference.predict import Predictor

    return ModelEmbedder(Predictor.from_file(model), str(model))


index_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="A search index of sounds: build, add (then `envsound similar`).")


@index_app.command("build")
def index_build(
    sources: List[str] = typer.Argument(..., help="Audio files, folders (searched recursively) or glob patterns."),
    out: Path = typer.Option(..., "--out", "-o", help="The index folder to write."),
    model: Optional[str] = typer.Option(None, help="Index with this model's own embedding (default: the frozen AudioSet backbone's)."),
    engine: str = typer.Option("local", help="local, or ray: a large corpus embedded on Ray Data (the frozen backbone) into Parquet shards under OUT/shards, then indexed; a rerun resumes."),
    address: Optional[str] = ADDRESS_OPT,
    actors: int = ACTORS_OPT,
    cpus_per_actor: float = CPUS_PER_ACTOR_OPT,
    shard_files: int = SHARD_FILES_OPT,
) -> None:
    """Embed every file window by window (5-s windows, half-overlapping) into a folder `similar` searches."""
    from envsound.engines import check_engine

    if check_engine(engine) == "ray":
        if model is not None:
            raise ConfigError("--engine ray indexes with the frozen backbone; leave out --model")
        from envsound.inference.search import SoundIndex

        _check_new_index(sources, out)
        CorpusEngine(engine, address, actors, cpus_per_actor, 0.0, shard_files, BATCH_FILES).run("embed", sources, out / "shards", checkpoint=DEFAULT_CHECKPOINT, views=("mean",))
        from envsound.features.efficientat import EfficientATFrontEndConfig

        built = SoundIndex.from_shards(out / "shards", f"backbone:{DEFAULT_CHECKPOINT}:mean", EfficientATFrontEndConfig.clip_seconds)
        built.save(out)
        echo(f"{len(built.files)} files ({len(built)} windows) indexed in {out}")
        return
    _index(sources, out, model, add=False)


@index_app.command("add")
def index_add(
    index: Path = typer.Argument(..., help="An index folder from `envsound index build`."),
    sources: List[str] = typer.Argument(..., help="More audio files, folders or glob patterns."),
) -> None:
    """Add files to an index, embedded the way it was built."""
    from envsound.inference.search import SoundIndex

    made_with = SoundIndex.load(index).made_with
    _index(sources, index, None if made_with.startswith("backbone:") else made_with, add=True)


def _check_new_index(sources: List[str], out: Path) -> None:
    """Before any embedding: OUT is a new index folder, not inside a folder it reads."""
    if (out / "index.json").exists():
        raise ConfigError(f"{out}: an index is already there; add to it with `envsound index add {out} ...` or choose another folder")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: is a file; an index is a folder")
    _check_outside(sources, out)


def _check_outside(sources: List[str], out: Path) -> None:
    inside = next((f for f in sources if Path(f).is_dir() and Path(f).resolve() in [out.resolve(), *out.resolve().parents]), None)
    if inside is not None:
        raise ConfigError(f"{out}: inside the folder it reads ({inside}); write the index somewhere else")


def _index(sources: List[str], out: Path, model: Optional[str], add: bool) -> None:
    from envsound.inference.embed import embed_files
    from envsound.inference.predict import expand_inputs
    from envsound.inference.search import SoundIndex
    from envsound.inference.shipped import SHIPPED_MODELS

    if add:
        _check_outside(sources, out)
    else:
        _check_new_index(sources, out)
    paths = expand_inputs(sources)
    if not paths:
        raise ConfigError(f"no audio files found in: {' '.join(sources)}")
    existing = SoundIndex.load(out) if add else None
    if existing is not None:
        known = set(existing.files)
        paths = [p for p in paths if str(p) not in known]
        if not paths:
            echo(f"nothing to add: every file is in {out} already")
            return
    extractor = _model_embedder(model) if model is not None else None
    result = embed_files(paths, progress=len(paths) > 20, extractor=extractor)
    if model is not None:  # recorded so that `index add` and `similar` embed the same way from anywhere
        made_with = model if model in SHIPPED_MODELS else str(Path(model).resolve())
    else:
        made_with = f"backbone:{result.checkpoint}:{','.join(result.views)}"
    if result.files:
        built = SoundIndex.from_embeddings(result, made_with)
        (existing.add(built) if existing is not None else built).save(out)
        echo(f"{len(result.files)} files ({len(result.window)} windows) {'added to' if add else 'indexed in'} {out}")
    for error in result.errors.values():
        typer.echo(f"error: {error}", err=True)
    if result.errors:
        raise typer.Exit(1)


def similar(
    query: Path = typer.Argument(..., help="An audio file: the sound to look for."),
    index: Path = typer.Option(..., "--index", help="An index folder from `envsound index build`."),
    top_k: int = typer.Option(10, "--top-k", help="How many windows to answer."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """The indexed windows most like QUERY (its windows averaged): file, start, end, similarity."""
    from envsound.inference.embed import embed_files
    from envsound.inference.search import SoundIndex
    from envsound.utils import shown_name

    if top_k < 1:
        raise ConfigError(f"--top-k must be at least 1, got {top_k}")
    found = SoundIndex.load(index)
    extractor = None if found.made_with.startswith("backbone:") else _model_embedder(found.made_with)
    views = tuple(found.made_with.split(":")[2].split(",")) if extractor is None else ("mean",)
    checkpoint = found.made_with.split(":")[1] if extractor is None else DEFAULT_CHECKPOINT
    result = embed_files([query], checkpoint, views, extractor=extractor)
    if not result.files:
        raise ConfigError(next(iter(result.errors.values())))
    similarities, ids = found.search(result.clip, top_k)
    hits = found.hits(similarities[0], ids[0])
    if as_json:
        echo(json.dumps([h.to_dict() | {"file": shown_name(h.file)} for h in hits], indent=2))
        return
    for h in hits:
        echo(f"{h.similarity:6.3f}  {h.start:8.2f} {h.end:8.2f}  {shown_name(h.file)}")


def export(
    model: Optional[Path] = typer.Argument(None, help=MODEL_HELP),
    onnx: Optional[Path] = typer.Option(None, "--onnx", help="ONNX file to write (plus FILE.onnx.json)."),
    tflite: Optional[Path] = typer.Option(None, "--tflite", help="LiteRT (TFLite) file to write instead (plus FILE.tflite.json): log-mel in, for phones and boards; needs --converter-python."),
    front_end: str = typer.Option("graph", help="graph: the STFT/mel front end inside the ONNX file (waveform in; mn04 models); numpy: outside it."),
    int8: bool = typer.Option(False, "--int8", help="int8 weights (smaller; ONNX: benchmarks/onnx_int8.py, LiteRT: benchmarks/litert.py measure the accuracy)."),
    converter_python: Optional[Path] = typer.Option(None, "--converter-python", help="The Python of a LiteRT conversion environment (see docs: onnx2tf needs TensorFlow, kept out of envsound's); default: $ENVSOUND_LITERT_PYTHON."),
) -> None:
    """Export a network to ONNX (waveform in, class scores out; mn04 models, others take NumPy features) or to LiteRT (--tflite)."""
    from envsound.errors import ConfigError
    from envsound.inference.shipped import resolve_model
    from envsound.utils import check_writable

    if (onnx is None) == (tflite is None):
        raise ConfigError("give one of --onnx FILE.onnx or --tflite FILE.tflite")
    if tflite is not None:
        from envsound.inference.litert_export import converter_python as find_converter
        from envsound.inference.litert_export import export_litert

        check_writable(tflite)
        echo(str(export_litert(resolve_model(model), tflite, find_converter(converter_python), form="int8_weights_only" if int8 else "float32")))
        return
    from envsound.inference.onnx_export import export_onnx

    check_writable(onnx)
    echo(str(export_onnx(resolve_model(model), onnx, front_end=front_end, int8=int8)))


COMMANDS = {"predict": predict, "timeline": timeline, "listen": listen, "embed": embed, "similar": similar, "export": export, "serve": serve}
GROUPS = {"index": index_app}
