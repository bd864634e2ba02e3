"""The one on-disk container for anything trained: JSON metadata, named tensors, named byte blobs.

Nothing in it can run code when loaded. Tensors and blobs are read by ``torch.load(weights_only=
True)``, which refuses every Python object but tensors and plain containers; metadata is JSON; a
scikit-learn estimator is a skops blob, restored only from scikit-learn types. A sha256 over the
metadata and every tensor's bytes is stored beside them and checked on load, so a flipped byte
fails with one line instead of predicting with damaged weights.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from envsound.errors import RunError
from envsound.utils import atomic_path

CONTAINER = "envsound-artifact"
# scikit-learn's own classes (and the numpy/scipy types their fitted state holds) are what classic
# models are made of; anything else inside a skops blob is refused.
TRUSTED_SKOPS_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.")


@dataclass
class Artifact:
    kind: str  # what the container holds, e.g. "envsound-model"; a reader checks it is its own
    version: int
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)


def digest(meta_text: str, tensors: dict[str, torch.Tensor]) -> str:
    hasher = hashlib.sha256(meta_text.encode())
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous().reshape(-1)
        hasher.update(f"\0{name}\0{tensor.dtype}\0{tuple(tensors[name].shape)}\0".encode())
        hasher.update(tensor.view(torch.uint8).numpy().tobytes())
    return hasher.hexdigest()


def save_artifact(path: str | Path, artifact: Artifact) -> Path:
    """Written under a temporary name and renamed, so a crash never leaves a file that loads."""
    meta_text = json.dumps(artifact.meta, sort_keys=True, allow_nan=False)
    tensors = {f"t/{k}": v.detach().cpu() for k, v in artifact.tensors.items()}
    tensors.update({f"b/{k}": torch.frombuffer(bytearray(v), dtype=torch.uint8) for k, v in artifact.blobs.items()})
    payload = {"container": CONTAINER, "kind": artifact.kind, "version": artifact.version, "meta": meta_text, "tensors": tensors, "sha256": digest(meta_text, tensors)}
    return save_torch(payload, path)


def save_torch(obj: Any, path: str | Path) -> Path:
    """``torch.save``, atomically. torch's C++ writer reports a failed write (a full disk, a file
    size limit) as a RuntimeError about its zip container; it is said here as an OSError naming
    the user's file, so the CLI prints one line, and nothing half-written is left."""
    with atomic_path(path) as tmp:
        try:
            torch.save(obj, tmp)
        except RuntimeError as err:
            if "inline_container" not in str(err) and "PytorchStreamWriter" not in str(err):
                raise
            full = shutil.disk_usage(Path(path).resolve().parent).free < 64 * 2**20
            raise OSError(errno.ENOSPC if full else errno.EIO, "no space left on the device" if full else "the write failed", str(path)) from None
    return Path(path)


def read_payload(path: str | Path) -> Any:
    """Whatever a torch file holds, read without running code: ``weights_only=True`` always."""
    path = Path(path)
    if not path.is_file():
        raise RunError(f"{path}: file not found")
    with open(path, "rb") as handle:
        head = handle.read(512)
    if not head.startswith((b"PK\x03\x04", b"\x80")):  # a torch zip file, or a pickle (envsound 0.1)
        raise RunError(f"{path}: not an envsound model file; it looks like {what_it_looks_like(head)}")
    try:
        # TorchVersion is a str subclass that envsound 0.1 files hold in their metadata
        with torch.serialization.safe_globals([torch.torch_version.TorchVersion]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - every failure here means "not a safe file we can read"
        text = str(err)
        if "weights_only" in text or "Unsupported global" in text or "Unpickler" in text:
            raise RunError(f"{path}: holds pickled Python objects, which envsound never loads (they could run code); "
                           "a model file from envsound 0.1 with a classic model must be retrained with `envsound train`") from None
        raise RunError(f"{path}: not a readable envsound file ({type(err).__name__}: {text.splitlines()[0] if text else ''})") from None


def what_it_looks_like(head: bytes) -> str:
    """A few words on what a file's first bytes are, for the one line that refuses it."""
    if not head:
        return "an empty file"
    if head.lstrip()[:1] in (b"{", b"["):
        return "JSON (an ONNX export's sidecar? pass the .onnx file itself)"
    if head.startswith((b"RIFF", b"fLaC", b"OggS", b"ID3", b"\xff\xfb", b"FORM")):
        return "audio, not a model"
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "a binary file of another kind"


def load_artifact(path: str | Path, kind: str, version: int) -> Artifact:
    """The container at ``path``, checked: our container, the expected kind and version, intact."""
    payload = read_payload(path)
    if not isinstance(payload, dict) or payload.get("container") != CONTAINER:
        raise RunError(f"{path}: not an envsound {kind} file")
    if payload.get("kind") != kind:
        raise RunError(f"{path}: an envsound {payload.get('kind')} file, not a {kind} file")
    if payload.get("version") != version:
        raise RunError(f"{path}: {kind} format version {payload.get('version')}, this envsound reads version {version}")
    meta_text, tensors = payload.get("meta"), payload.get("tensors")
    if not isinstance(meta_text, str) or not isinstance(tensors, dict):
        raise RunError(f"{path}: damaged {kind} file (metadata or tensors missing)")
    if digest(meta_text, tensors) != payload.get("sha256"):
        raise RunError(f"{path}: checksum mismatch: the file is damaged (a changed or truncated byte); download or copy it again")
    return Artifact(
        kind,
        version,
        json.loads(meta_text),
        {k[2:]: v for k, v in tensors.items() if k.startswith("t/")},
        {k[2:]: v.numpy().tobytes() for k, v in tensors.items() if k.startswith("b/")},
    )


def estimator_to_bytes(estimator: Any) -> bytes:
    import skops.io

    return skops.io.dumps(estimator)


def estimator_from_bytes(data: bytes, where: str = "model file") -> Any:
    """A fitted scikit-learn estimator from skops bytes; any type outside scikit-learn is refused."""
    import skops.io

    untrusted = skops.io.get_untrusted_types(data=data)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_SKOPS_PREFIXES)]
    if refused:
        raise RunError(f"{where}: the estimator holds types envsound does not trust: {', '.join(refused[:5])}")
    return skops.io.loads(data, trusted=untrusted)

