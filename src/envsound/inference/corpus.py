"""A corpus through embed or predict on Ray Data: a file list in, sharded Parquet out.

The file list (files, folders, globs, or a CSV with a ``path`` column) is cut into shards of
``shard_files`` files, planned once in ``OUT/plan.json``. Ray Data reads the pending files and
scores them in an actor pool (one model per actor, ``cpus``/``gpus`` each); this process writes
each shard as ``part-NNNNN.parquet`` (a temporary name, then renamed) as soon as its last file is
scored, so a stopped job loses at most the shards in flight and a rerun does only what is missing.
A file that cannot be decoded becomes a row with its ``error``; it never stops the job.

Rows: ``predict``: one per file (file, answer, labels, probabilities: the top-k, exactly what
``envsound predict`` gives). ``embed``: one per window (file, window_start in seconds, embedding),
the windows ``envsound embed`` cuts.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from envsound.engines import ray_session
from envsound.errors import ConfigError
from envsound.progress import console
from envsound.utils import atomic_path, stable_hash

TASKS = ("predict", "embed")
SHARD_FILES = 256
PLAN = "plan.json"


def corpus_paths(inputs: Sequence[str]) -> list[str]:
    """Files, folders (recursive), globs, or CSV files listing a ``path`` column (relative paths
    are read from the CSV's folder)."""
    from envsound.data.info import read_metadata
    from envsound.inference.predict import expand_inputs

    paths: list[str] = []
    for item in inputs:
        if item.lower().endswith(".csv") and Path(item).is_file():
            rows = read_metadata(Path(item), ("path",), f"{item}: not found")
            base = Path(item).parent
            paths += [str(p if (p := Path(r["path"])).is_absolute() else base / p) for r in rows]
        else:
            paths += [str(p) for p in expand_inputs([item])]
    if not paths:
        raise ConfigError(f"no audio files found in: {' '.join(inputs)}")
    return paths


def part_path(out: Path, shard: int) -> Path:
    return out / f"part-{shard:05d}.parquet"


def plan_shards(paths: list[str], out: Path, shard_files: int, settings: dict) -> list[list[str]]:
    """The shards, from ``OUT/plan.json`` when resuming (it must be the same job: files and settings)."""
    if shard_files < 1:
        raise ConfigError("--shard-files must be at least 1")
    shards = [paths[i : i + shard_files] for i in range(0, len(paths), shard_files)]
    plan = {"files": stable_hash(paths), "shard_files": shard_files, "settings": settings, "shards": len(shards)}
    plan_file = out / PLAN
    if plan_file.exists():
        if json.loads(plan_file.read_text()) != plan:
            raise ConfigError(f"{out}: holds the shards of another job (other files or settings); choose another --out")
    else:
        out.mkdir(parents=True, exist_ok=True)
        with atomic_path(plan_file) as tmp:
            tmp.write_text(json.dumps(plan, indent=2) + "\n")
    return shards


def row_schema(task: str, shard: bool = True) -> Any:
    """The Parquet columns of a task's rows (``shard`` only travels between actors and writer)."""
    import pyarrow as pa

    fields = [("shard", pa.int64())] if shard else []
    fields.append(("file", pa.string()))
    if task == "predict":
        fields += [("answer", pa.string()), ("labels", pa.list_(pa.string())), ("probabilities", pa.list_(pa.float64())), ("error", pa.string())]
    else:
        fields += [("window_start", pa.float64()), ("embedding", pa.list_(pa.float32())), ("error", pa.string())]
    return pa.schema(fields)


class Scorer:
    """One Ray actor: loads its model once, turns a batch of paths into rows (the batch's windows
    share model calls, as in a single process)."""

    def __init__(self, task: str, model: str | None, checkpoint: str, views: tuple[str, ...], top_k: int, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.task, self.top_k = task, top_k
        if task == "predict":
            from envsound.inference.predict import Predictor

            self.predictor = Predictor.from_file(model, device="cpu" if not torch.cuda.is_available() else None)
        else:
            from envsound.models.embedding import EfficientATEmbeddingExtractor

            self.extractor = EfficientATEmbeddingExtractor(checkpoint, views=views)

    def __call__(self, batch: dict[str, np.ndarray]) -> Any:
        import pyarrow as pa

        paths, shards = batch["path"].tolist(), [int(k) for k in batch["shard"].tolist()]
        rows = self._predict(paths, shards) if self.task == "predict" else self._embed(paths, shards)
        return pa.Table.from_pylist(rows, schema=row_schema(self.task))

    def _predict(self, paths: list[str], shards: list[int]) -> list[dict[str, Any]]:
        results = self.predictor.predict(paths, top_k=self.top_k, workers=1)
        return [{"shard": shard, "file": path, "answer": None if r.error else r.answer, "labels": r.labels, "probabilities": r.probabilities, "error": r.error}
                for path, shard, r in zip(paths, shards, results)]

    def _embed(self, paths: list[str], shards: list[int]) -> list[dict[str, Any]]:
        from envsound.inference.embed import embed_files

        found = embed_files(paths, extractor=self.extractor)
        index = {path: k for k, path in enumerate(found.files)}
        rows: list[dict[str, Any]] = []
        for path, shard in zip(paths, shards):
            if path in found.errors:
                rows.append({"shard": shard, "file": path, "window_start": None, "embedding": None, "error": found.errors[path]})
                continue
            mine = np.flatnonzero(found.window_file == index[path])
            rows += [{"shard": shard, "file": path, "window_start": float(found.window_start[i]), "embedding": found.window[i].astype(np.float32).tolist(), "error": None}
                     for i in mine]
        return rows


@dataclass
class CorpusSummary:
    out: Path
    files: int
    shards: int
    shards_written: int  # by this call; the rest were there already
    errors: int  # files that could not be read, in the shards written by this call


def run_corpus(task: str, inputs: Sequence[str], out: str | Path, model: str | None = None, checkpoint: str | None = None, views: Sequence[str] = ("mean",),
               top_k: int = 5, actors: int = 2, cpus: float = 1, gpus: float = 0, batch_files: int = 8, shard_files: int = SHARD_FILES,
               address: str | None = None, verbose: bool = True) -> CorpusSummary:
    """Score ``inputs`` with ``task`` on Ray into ``out``; returns what was done."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from envsound.defaults import DEFAULT_CHECKPOINT

    if task not in TASKS:
        raise ConfigError(f"unknown task '{task}'; choose {' or '.join(TASKS)}")
    if actors < 1 or batch_files < 1 or top_k < 1:
        raise ConfigError("--actors, --batch-files and --top-k must be at least 1")
    if not (cpus > 0 and gpus >= 0 and math.isfinite(cpus + gpus)):  # NaN used to end in a ValueError traceback
        raise ConfigError(f"--cpus-per-actor must be above 0 and --gpus-per-actor 0 or more, got {cpus:g} and {gpus:g}")
    if model is not None and not Path(model).is_file():  # before starting Ray, not as an actor's traceback
        raise ConfigError(f"{model}: model file not found")
    out = Path(out)
    paths = corpus_paths(inputs)
    checkpoint = checkpoint or DEFAULT_CHECKPOINT
    settings = {"task": task, "model": str(model) if model else None, "checkpoint": checkpoint, "views": list(views), "top_k": top_k}
    shards = plan_shards(paths, out, shard_files, settings)
    pending = [k for k in range(len(shards)) if not part_path(out, k).exists()]
    summary = CorpusSummary(out, len(paths), len(shards), 0, 0)
    if not pending:
        return summary
    with ray_session(address) as ray:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # shards come back whole and in turn
        context.enable_progress_bars = verbose
        items = [{"path": p, "shard": k} for k in pending for p in shards[k]]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, min(len(items), 4 * actors * len(pending)))).map_batches(
            Scorer, fn_constructor_kwargs={"task": task, "model": model, "checkpoint": checkpoint, "views": tuple(views), "top_k": top_k, "threads": max(1, int(cpus))},
            batch_size=batch_files, compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus, num_gpus=gpus, batch_format="numpy")
        current, rows = None, []

        def write(shard: int, rows: list[dict]) -> None:
            with atomic_path(part_path(out, shard)) as tmp:
                pq.write_table(pa.Table.from_pylist([{k: v for k, v in r.items() if k != "shard"} for r in rows], schema=row_schema(task, shard=False)), tmp)
            summary.shards_written += 1
            summary.errors += len({r["file"] for r in rows if r["error"]})
            if verbose:
                console.print(f"shard {shard + 1}/{len(shards)} written ({len(rows)} rows)")

        for row in dataset.iter_rows():
            if current is not None and row["shard"] != current:
                write(current, rows)
                rows = []
            current = int(row["shard"])
            rows.append({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in row.items()})
        if current is not None:
            write(current, rows)
    return summary
