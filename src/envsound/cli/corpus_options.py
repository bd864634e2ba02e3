"""``--engine ray`` and its options, declared once for every command that scores a corpus.

``predict`` and ``embed`` take the same seven options; ``@corpus_engine_options`` adds them to a
command's signature (typer reads the signature) and hands the command one ``CorpusEngine``.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from envsound.cli.options import ADDRESS_OPT, echo

ACTORS_OPT = typer.Option(2, help="With --engine ray: model copies scoring in parallel.")
CPUS_PER_ACTOR_OPT = typer.Option(1.0, help="With --engine ray: CPUs per actor (and its torch threads).")
SHARD_FILES_OPT = typer.Option(256, help="With --engine ray: files per Parquet shard (the unit of resuming).")
BATCH_FILES = 8  # files an actor scores per call, unless --batch-files says otherwise

# name -> (type, typer option), in the order --help lists them
_OPTIONS: dict[str, tuple[Any, Any]] = {
    "engine": (str, typer.Option("local", help="local, or ray: a corpus on Ray Data into Parquet shards in the output FOLDER (pip install 'envsound[distributed]').")),
    "address": (Optional[str], ADDRESS_OPT),
    "actors": (int, ACTORS_OPT),
    "cpus_per_actor": (float, CPUS_PER_ACTOR_OPT),
    "gpus_per_actor": (float, typer.Option(0.0, help="With --engine ray: GPUs per actor.")),
    "shard_files": (int, SHARD_FILES_OPT),
    "batch_files": (int, typer.Option(BATCH_FILES, help="With --engine ray: files an actor scores per call.")),
}


@dataclass(frozen=True)
class CorpusEngine:
    """Where a corpus command runs: here (``local``) or on Ray Data, with its actors and shards."""

    engine: str
    address: Optional[str]
    actors: int
    cpus_per_actor: float
    gpus_per_actor: float
    shard_files: int
    batch_files: int

    @property
    def is_ray(self) -> bool:
        from envsound.engines import check_engine

        return check_engine(self.engine) == "ray"

    def run(self, task: str, inputs: List[str], out: Path, **settings: Any) -> None:
        """Score ``inputs`` on Ray Data into Parquet shards under ``out`` (a rerun resumes)."""
        from envsound.inference.corpus import run_corpus

        done = run_corpus(task, inputs, out, address=self.address, actors=self.actors, cpus=self.cpus_per_actor, gpus=self.gpus_per_actor,
                          shard_files=self.shard_files, batch_files=self.batch_files, **settings)
        echo(f"{done.files} files in {done.shards} shards ({done.shards_written} written now, {done.errors} unreadable files reported as rows) → {done.out}")


assert tuple(_OPTIONS) == tuple(f.name for f in fields(CorpusEngine))


def corpus_engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--engine``, ``--address``, ``--actors``, ``--cpus-per-actor``, ``--gpus-per-actor``,
    ``--shard-files`` and ``--batch-files`` to ``command`` and pass them as ``corpus``."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for name, p in signature.parameters.items() if name != "corpus"]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind) for name, (kind, option) in _OPTIONS.items()]

    @functools.wraps(command)
    def with_corpus(*args: Any, **kwargs: Any) -> Any:
        corpus = CorpusEngine(**{name: kwargs.pop(name) for name in _OPTIONS})
        return command(*args, corpus=corpus, **kwargs)

    with_corpus.__signature__ = signature.replace(parameters=kept + added)  # type: ignore[attr-defined]
    with_corpus.__annotations__ = {**{p.name: p.annotation for p in kept}, **{name: kind for name, (kind, _) in _OPTIONS.items()},
                                   "return": signature.return_annotation}
    return with_corpus
