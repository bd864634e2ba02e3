"""Inference speed of the shipped model on this CPU; writes benchmarks/results/inference.json.

    python benchmarks/inference.py
    python benchmarks/inference.py --model other.pt --name inference_other   # any model file

- torch_ms_per_clip / onnx_ms_per_clip: one decoded 5-s clip, model loaded, median of 50, front
  end + network: torch; onnxruntime with the front end inside the graph (waveform in, the default
  export); onnx_numpy_frontend_ms_per_clip: the older export (NumPy front end outside the graph);
  onnx_int8_ms_per_clip: the in-graph export with dynamic int8 weights;
- onnx_max_abs_diff: max |logit difference| torch vs onnxruntime (waveform in) over 20 real clips;
- files_per_second: `Predictor.predict` over 1000 ESC-50 files (decoding threads + batches), torch
  and onnx (in-graph front end); mixed_files_per_second: 200 files of mixed formats (WAV, FLAC, OGG,
  MP3), rates (16-48 kHz), channels and lengths (1-30 s), made from ESC-50 clips;
- listen_real_time_factor: `Listener` (2-s windows, 0.5-s hop) scoring every window of a 60-s
  stream, scoring time per second of stream; listen_max_latency_s: the slowest answer, counted from
  the arrival of its window's last sample, over 20 s of stream released at real time;
- timeline_seconds_10min: a 10-minute recording (120 ESC-50 clips end to end) to segments,
  window 2 s, hop 0.5 s;
- predict_peak_rss_mb_30min/_60min, timeline_peak_rss_mb_30min/_60min: peak resident memory (what
  the OS sees, numpy and torch buffers included; tracemalloc sees neither) of `envsound predict`
  and `envsound timeline` on 30- and 60-minute recordings of ESC-50 clips end to end, each run in a
  fresh process (``--skip-speed`` measures only these).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from envsound.audio import load_audio
from envsound.data import load_esc50
from envsound.inference.onnx_export import export_onnx
from envsound.inference.onnx_runtime import OnnxScorer
from envsound.inference.predict import Predictor
from envsound.inference.shipped import default_model_path
from envsound.inference.timeline import compute_timeline
from envsound.models.model_file import load_model
from envsound.runs import device_name
from envsound.utils import read_json, write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit, result_path  # noqa: E402


def median_ms(fn, repeats: int = 50, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


SPEED_KEYS = ("torch_ms_per_clip", "onnx_ms_per_clip", "onnx_speedup", "onnx_max_abs_diff", "onnx_numpy_frontend_ms_per_clip", "onnx_int8_ms_per_clip",
              "torch_frontend_ms", "torch_network_ms", "numpy_frontend_ms", "onnx_network_ms", "files_per_second", "files_1000_seconds",
              "onnx_files_per_second", "mixed_files_per_second", "mixed_audio_seconds_per_second", "listen_real_time_factor", "listen_max_latency_s",
              "listen_skipped_seconds", "timeline_seconds_10min", "timeline_segments")


def previous_speed(previous: dict) -> dict:
    return {k: previous[k] for k in SPEED_KEYS if k in previous}


def measure_speed(manifest, model_path: Path) -> dict:
    """Latency, throughput and ONNX parity (see the module docstring)."""
    torch_predictor = Predictor.from_file(model_path)
    rate = torch_predictor.extractor.sample_rate
    clip = load_audio(REPO / "examples" / "1-100032-A-0.flac", rate)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(model_path, Path(tmp) / "model.onnx")
        onnx_predictor = Predictor.from_file(onnx_path, backend="onnx")
        split_predictor = Predictor.from_file(export_onnx(model_path, Path(tmp) / "split.onnx", front_end="numpy"), backend="onnx")
        int8_predictor = Predictor.from_file(export_onnx(model_path, Path(tmp) / "int8.onnx", int8=True), backend="onnx")
        torch_ms = median_ms(lambda: torch_predictor.probabilities(clip))
        onnx_ms = median_ms(lambda: onnx_predictor.probabilities(clip))
        window = torch_predictor.windows(clip)
        features = torch_predictor.extractor(window)
        split = {
            "onnx_numpy_frontend_ms_per_clip": median_ms(lambda: split_predictor.probabilities(clip)),
            "onnx_int8_ms_per_clip": median_ms(lambda: int8_predictor.probabilities(clip)),
            "torch_frontend_ms": median_ms(lambda: torch_predictor.extractor(window)),
            "torch_network_ms": median_ms(lambda: torch_predictor.score(features)),
            "numpy_frontend_ms": median_ms(lambda: split_predictor.extractor(window)),
            "onnx_network_ms": median_ms(lambda: split_predictor.score(features)),
        }
        loaded = load_model(model_path)
        waves = np.stack([load_audio(c.path, rate, 5.0) for c in manifest.clips[::100]])
        features = loaded.extractor(waves)
        with torch.inference_mode():
            reference = loaded.model(torch.from_numpy(features)).numpy()
        onnx_diff = float(np.abs(OnnxScorer(onnx_path).logits(waves) - reference).max())

        files = [c.path for c in manifest.clips[:1000]]
        started = time.perf_counter()
        results = torch_predictor.predict(files, top_k=1)
        files_seconds = time.perf_counter() - started
        assert not any(r.error for r in results)
        started = time.perf_counter()
        assert not any(r.error for r in onnx_predictor.predict(files, top_k=1))
        onnx_files_seconds = time.perf_counter() - started
        mixed = write_mixed_folder(Path(tmp) / "mixed", manifest)
        started = time.perf_counter()
        assert not any(r.error for r in torch_predictor.predict(mixed, top_k=1))
        mixed_seconds = time.perf_counter() - started
        mixed_audio = sum(sf.info(str(f)).duration for f in mixed)
        listen = measure_listen(torch_predictor, manifest)

        long_path = write_recording(Path(tmp) / "ten_minutes.flac", [c.path for c in manifest.clips[:120]])
        started = time.perf_counter()
        timeline = compute_timeline(torch_predictor, long_path, window_seconds=2.0, hop_seconds=0.5)
        segments = timeline.segments(0.3)
        timeline_seconds = time.perf_counter() - started

    return {
        "torch_ms_per_clip": torch_ms,
        "onnx_ms_per_clip": onnx_ms,
        "onnx_speedup": torch_ms / onnx_ms,
        "onnx_max_abs_diff": onnx_diff,
        **split,
        "files_per_second": len(files) / files_seconds,
        "files_1000_seconds": files_seconds,
        "onnx_files_per_second": len(files) / onnx_files_seconds,
        "mixed_files_per_second": len(mixed) / mixed_seconds,
        "mixed_audio_seconds_per_second": mixed_audio / mixed_seconds,
        **listen,
        "timeline_seconds_10min": timeline_seconds,
        "timeline_segments": len(segments),
    }


def write_mixed_folder(folder: Path, manifest, count: int = 200) -> list[Path]:
    """``count`` files cycling through formats, rates, channel counts and lengths (1-30 s)."""
    from envsound.audio import resample

    folder.mkdir()
    formats = [("wav", "PCM_16"), ("flac", "PCM_16"), ("ogg", "VORBIS"), ("mp3", "MPEG_LAYER_III")]
    rates, lengths = [16000, 22050, 44100, 48000], [1, 3, 5, 12, 30]
    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        seconds, rate, (ext, subtype) = lengths[i % len(lengths)], rates[i % len(rates)], formats[i % len(formats)]
        picks = rng.choice(len(manifest.clips), size=(seconds + 4) // 5)
        signal = np.concatenate([sf.read(manifest.clips[k].path, dtype="float32")[0] for k in picks])[: seconds * 16000]
        signal = resample(signal, 16000, rate)
        if i % 3 == 0:
            signal = np.stack([signal, signal * 0.8], axis=1)
        path = folder / f"m{i:03d}.{ext}"
        sf.write(path, signal, rate, subtype=subtype)
        out.append(path)
    return out


def measure_listen(predictor: Predictor, manifest) -> dict:
    from envsound.inference.listen import Listener, paced

    rate = predictor.extractor.sample_rate
    stream = np.concatenate([load_audio(c.path, rate) for c in manifest.clips[:12]])
    blocks = [stream[i : i + rate // 10] for i in range(0, len(stream), rate // 10)]
    every = Listener(predictor, 2.0, 0.5, keep_up=False).listen(blocks)
    live = Listener(predictor, 2.0, 0.5, keep_up=True).listen(paced(blocks[: 20 * 10], rate))
    return {"listen_real_time_factor": every.real_time_factor, "listen_max_latency_s": live.max_latency, "listen_skipped_seconds": live.skipped_seconds}


def write_recording(path: Path, clips: list[Path]) -> Path:
    with sf.SoundFile(path, "w", 16000, 1) as out:
        for clip in clips:
            out.write(sf.read(clip, dtype="float32")[0])
    return path


def peak_rss_mb(command: list[str]) -> float:
    """Peak RSS of ``command``, read by a fresh parent from RUSAGE_CHILDREN (its only child)."""
    probe = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1]) / 1024  # Linux reports KiB


def measure_peak_memory(manifest, model_path: Path) -> dict:
    cli = [sys.executable, "-m", "envsound.cli"]
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in (30, 60):
            path = write_recording(Path(tmp) / f"{minutes}min.flac", [c.path for c in manifest.clips[: minutes * 12]])
            result[f"predict_peak_rss_mb_{minutes}min"] = peak_rss_mb([*cli, "predict", str(path), "--model", str(model_path)])
            result[f"timeline_peak_rss_mb_{minutes}min"] = peak_rss_mb([*cli, "timeline", str(path), "--model", str(model_path)])
            print(f"{minutes} min: predict {result[f'predict_peak_rss_mb_{minutes}min']:.0f} MB, timeline {result[f'timeline_peak_rss_mb_{minutes}min']:.0f} MB", flush=True)
    return result


def main() -> None:
    manifest = load_esc50()
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="Model file (default: the shipped model)")
    parser.add_argument("--name", default="inference", help="Result name: benchmarks/results/<name>.json")
    parser.add_argument("--skip-speed", action="store_true", help="only the peak-memory measurements (kept from the last result otherwise)")
    args = parser.parse_args()
    result_path(args.name)  # a bad --name stops here, before any work
    model_path = args.model or default_model_path()
    out = result_path(args.name)
    previous = read_json(out) if out.exists() else {}
    speed = previous_speed(previous) if args.skip_speed else measure_speed(manifest, model_path)
    memory = measure_peak_memory(manifest, model_path)
    result = {
        "name": args.name,
        "model": model_path.name,
        **speed,
        **memory,
        "threads": torch.get_num_threads(),
        "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(result_path(args.name), result)
    for key, value in result.items():
        if isinstance(value, float):
            print(f"{key:26s} {value:.4g}")


if __name__ == "__main__":
    main()
