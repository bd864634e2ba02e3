"""What scaling out costs and buys, measured on this machine; writes benchmarks/results/scale_out.json.

    python benchmarks/scale_out.py

1. Corpus embedding of all 2000 ESC-50 clips: one process (`envsound embed`'s path, torch on all
   cores) vs Ray Data with 2 actors x 1 CPU (`embed --engine ray`), files per second; their ratio
   is the engine's overhead on one machine (target: Ray >= 80 % of one process).
2. Data-parallel training: the mn04 fine-tune's steps per second as 1 process x 2 threads vs
   torchrun 2 ranks x 1 thread (benchmarks/ddp_steps.py), same global batch.
3. A projection, labelled as such, of corpus throughput on N nodes of C cores from the measured
   per-actor rate, with the decode share and the bytes read per second that it implies.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from envsound.audio import load_audio
from envsound.data import load_esc50
from envsound.inference.corpus import run_corpus
from envsound.inference.embed import embed_files
from envsound.runs import device_name
from envsound.utils import write_json

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from esc50_cv import git_commit  # noqa: E402


def ddp_rate(ranks: int, threads: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rate.json"
        script = str(REPO / "benchmarks" / "ddp_steps.py")
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        if ranks == 1:
            command = [sys.executable, script, "--threads", str(threads), str(out)]
        else:
            command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(ranks), "--master-addr", "127.0.0.1", "--master-port", "29611",
                       script, "--threads", str(threads), str(out)]
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())["steps_per_second"]


def main() -> None:
    commit = git_commit()
    clips = [str(c.path) for c in load_esc50().clips]
    mb = sum(os.path.getsize(p) for p in clips) / 1e6

    started = time.perf_counter()
    single = embed_files(clips)
    single_seconds = time.perf_counter() - started
    assert not single.errors
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        done = run_corpus("embed", clips, Path(tmp) / "emb", actors=2, cpus=1, shard_files=250, verbose=False)
        ray_seconds = time.perf_counter() - started
    assert done.errors == 0 and done.shards_written == 8
    started = time.perf_counter()
    for path in clips[:400]:
        load_audio(path, 32000)
    decode_ms = (time.perf_counter() - started) / 400 * 1000

    one_process = ddp_rate(1, 2)
    two_ranks = ddp_rate(2, 1)

    per_actor = len(clips) / ray_seconds / 2
    projection = {
        "label": "PROJECTION from this machine's per-actor rate, not measured on a cluster",
        "per_actor_files_per_second": per_actor,
        "assumes": "1 CPU per actor, every core of every node an actor, files on a shared filesystem, no other bottleneck",
        "files_per_second": {f"{n} nodes x {c} cores": per_actor * n * c for n in (1, 4, 16) for c in (16, 64)},
        "read_mb_per_second_per_16_core_node": per_actor * 16 * mb / len(clips),
        "decode_share_of_per_file_time": decode_ms / (1000 / per_actor),
        "bottleneck": "the network forward pass (decode+resample is the share above); storage needs the MB/s above per node, "
                      "so a shared filesystem or object store saturates first when many nodes read 16 kHz FLAC at this rate",
    }
    result = {
        "name": "scale_out",
        "embed_files": len(clips),
        "embed_single_process_seconds": single_seconds,
        "embed_single_process_files_per_second": len(clips) / single_seconds,
        "embed_ray_2_actors_seconds": ray_seconds,
        "embed_ray_2_actors_files_per_second": len(clips) / ray_seconds,
        "ray_vs_single_process": single_seconds / ray_seconds,
        "decode_resample_ms_per_file": decode_ms,
        "ddp_steps_per_second_1_rank_2_threads": one_process,
        "ddp_steps_per_second_2_ranks_1_thread": two_ranks,
        "projection": projection,
        "threads": torch.get_num_threads(),
        "device": device_name(),
        "command": "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "commit": commit,
        "date": datetime.now(timezone.utc).date().isoformat(),
    }
    write_json(REPO / "benchmarks" / "results" / "scale_out.json", result)
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict)}, indent=2))


if __name__ == "__main__":
    main()
