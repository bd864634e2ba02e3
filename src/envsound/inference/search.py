"""Find sounds like this one: a window-level index of embeddings, searched by cosine similarity.

`envsound index build SOURCES --out IDX` embeds every file in windows (as `embed` cuts them, with
a model's own embedding or the frozen backbone's) and writes a folder; `envsound index add`
extends it; `envsound similar QUERY --index IDX` answers the most similar windows, each with its
file, start, end and similarity.

The folder holds plain arrays and JSON (no pickle): ``vectors.npy`` (unit-length float32 rows),
``windows.json`` (file and start of each row) and ``index.json`` (what made it, and the sha256 of
each file, checked on load). Search is exact (a matrix product in chunks) up to ``EXACT_LIMIT``
vectors; past that, with hnswlib installed (``pip install 'envsound[search]'``), an HNSW graph
built on load (benchmarks/search.py measures its recall against exact search, and chose hnswlib
over faiss by its declared rule: the same recall at the same query time, built 29 % faster).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from envsound.errors import ConfigError, RunError
from envsound.utils import atomic_path, sha256_file

INDEX_VERSION = 1
EXACT_LIMIT = 200_000  # vectors; exact search took 18 ms a query over a million on 2 cores (search.json), so about 4 ms here
HNSW_NEIGHBOURS = 32  # HNSW M
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64  # by benchmarks/search.py's rule: the smallest with recall@10 >= 0.95 on its clustered million (hnswlib 0.965, 0.25 ms)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12))


@dataclass
class Hit:
    file: str
    start: float
    end: float
    similarity: float

    def to_dict(self) -> dict:
        return {"file": self.file, "start": round(self.start, 3), "end": round(self.end, 3), "similarity": round(self.similarity, 4)}


@dataclass
class SoundIndex:
    vectors: np.ndarray  # (windows, dim), unit rows
    files: list[str]  # indexed files
    window_file: np.ndarray  # (windows,): index into files
    window_start: np.ndarray  # (windows,): seconds
    window_seconds: float
    made_with: str  # the model (or backbone checkpoint and views) whose embedding this is
    _graph: object = field(default=None, repr=False)

    @classmethod
    def from_embeddings(cls, embeddings, made_with: str) -> "SoundIndex":
        """From ``inference.embed.Embeddings`` (window rows)."""
        return cls(unit_rows(embeddings.window), list(embeddings.files), np.asarray(embeddings.window_file, dtype=np.int64),
                   np.asarray(embeddings.window_start, dtype=np.float64), float(embeddings.window_seconds), made_with)

    @classmethod
    def from_shards(cls, folder: str | Path, made_with: str, window_seconds: float) -> "SoundIndex":
        """From the Parquet shards `embed --engine ray` writes (file, window_start, embedding per
        row; unreadable files are rows with an error and no embedding), for corpora embedded on Ray."""
        import pyarrow.parquet as pq

        shards = sorted(Path(folder).glob("part-*.parquet"))  # beside them, the job's plan.json
        if not shards:
            raise RunError(f"{folder}: no Parquet shards")
        table: dict[str, list] = {"file": [], "window_start": [], "embedding": [], "error": []}
        for shard in shards:
            for key, values in pq.read_table(shard, columns=list(table)).to_pydict().items():
                table[key] += values
        keep = [i for i, error in enumerate(table["error"]) if error is None]
        if not keep:
            raise RunError(f"{folder}: no embedded windows in its shards")
        files: list[str] = []
        where: dict[str, int] = {}
        owner = []
        for i in keep:
            name = table["file"][i]
            if name not in where:
                where[name] = len(files)
                files.append(name)
            owner.append(where[name])
        vectors = unit_rows(np.asarray([table["embedding"][i] for i in keep], dtype=np.float32))
        return cls(vectors, files, np.asarray(owner, dtype=np.int64), np.asarray([table["window_start"][i] for i in keep], dtype=np.float64), window_seconds, made_with)

    def add(self, other: "SoundIndex") -> "SoundIndex":
        """This index with ``other``'s windows appended (the same embedding only)."""
        if other.made_with != self.made_with or other.vectors.shape[1] != self.vectors.shape[1]:
            raise ConfigError(f"cannot add windows embedded with {other.made_with} to an index of {self.made_with}; build it with the same --model")
        return SoundIndex(np.concatenate([self.vectors, other.vectors]), self.files + other.files,
                          np.concatenate([self.window_file, other.window_file + len(self.files)]),
                          np.concatenate([self.window_start, other.window_start]), self.window_seconds, self.made_with)

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, row ids), each (queries, k), best first."""
        queries = unit_rows(np.atleast_2d(queries))
        k = min(k, len(self))
        graph = self._hnsw_graph() if len(self) > EXACT_LIMIT else None
        if graph is not None:
            graph.set_ef(max(HNSW_EF_SEARCH, k))  # hnswlib needs a search list at least k long
            ids, distances = graph.knn_query(queries, k=k)  # inner-product space: distance = 1 - similarity
            return (1.0 - distances).astype(np.float32), ids.astype(np.int64)
        return exact_search(self.vectors, queries, k)

    def _hnsw_graph(self) -> object | None:
        """hnswlib's HNSW graph of the vectors, built once per loaded index; None without hnswlib."""
        if self._graph is None:
            try:
                import hnswlib
            except ImportError:
                return None
            graph = hnswlib.Index(space="ip", dim=self.vectors.shape[1])
            graph.init_index(max_elements=len(self.vectors), ef_construction=HNSW_EF_CONSTRUCTION, M=HNSW_NEIGHBOURS)
            graph.add_items(self.vectors, np.arange(len(self.vectors)))
            self._graph = graph
        return self._graph

    def hits(self, similarities: np.ndarray, ids: np.ndarray) -> list[Hit]:
        return [Hit(self.files[self.window_file[i]], float(self.window_start[i]), float(self.window_start[i]) + self.window_seconds, float(s))
                for s, i in zip(similarities, ids) if i >= 0]

    def save(self, folder: str | Path) -> Path:
        """The folder: vectors.npy, windows.json, then index.json (written last, with each file's sha256)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / "vectors.npy") as tmp:
            with open(tmp, "wb") as handle:
                np.save(handle, self.vectors, allow_pickle=False)
        with atomic_path(folder / "windows.json") as tmp:
            tmp.write_text(json.dumps({"files": self.files, "window_file": self.window_file.tolist(), "window_start": np.round(self.window_start, 4).tolist()}))
        meta = {"envsound_index": INDEX_VERSION, "made_with": self.made_with, "window_seconds": self.window_seconds, "windows": len(self),
                "dim": int(self.vectors.shape[1]), "sha256": {name: sha256_file(folder / name) for name in ("vectors.npy", "windows.json")}}
        with atomic_path(folder / "index.json") as tmp:
            tmp.write_text(json.dumps(meta, indent=2) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "SoundIndex":
        """An index folder, checked: its files match the sha256 in index.json, and the shapes agree."""
        folder = Path(folder)
        if not (folder / "index.json").is_file():
            raise RunError(f"{folder}: not an envsound index (no index.json; build one with `envsound index build`)")
        try:
            meta = json.loads((folder / "index.json").read_text())
            for name, digest in meta["sha256"].items():
                if name not in ("vectors.npy", "windows.json") or sha256_file(folder / name) != digest:
                    raise RunError(f"{folder / name}: does not match its index.json (changed or damaged); build the index again")
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
            windows = json.loads((folder / "windows.json").read_text())
            files, window_file, window_start = list(windows["files"]), np.asarray(windows["window_file"], dtype=np.int64), np.asarray(windows["window_start"], dtype=np.float64)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise RunError(f"{folder}: not a readable envsound index ({type(err).__name__}: {err})") from None
        if vectors.ndim != 2 or vectors.dtype != np.float32 or len(vectors) != len(window_file) or len(window_file) != len(window_start) or \
                (len(window_file) and not 0 <= window_file.min() <= window_file.max() < len(files)):
            raise RunError(f"{folder}: its vectors and windows do not agree; build the index again")
        return cls(vectors, files, window_file, window_start, float(meta["window_seconds"]), str(meta["made_with"]))


def exact_search(vectors: np.ndarray, queries: np.ndarray, k: int, chunk: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` inner products of each query over ``vectors``, in chunks (flat memory)."""
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        scores = queries @ vectors[start : start + chunk].T
        top = np.argpartition(-scores, min(k, scores.shape[1]) - 1, axis=1)[:, :k]
        best_s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        best_i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argsort(-best_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, axis=1), np.take_along_axis(best_i, keep, axis=1)
    return best_s, best_i
