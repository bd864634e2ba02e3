"""A small local web app: upload or record a clip, see its labels, spectrogram and timeline.

Built to hold under load on a small machine: the request body is counted while it arrives (a
1 GiB upload is refused at the limit, not after spooling it), model work runs in a worker pool
off the event loop (so the page and other requests stay responsive), figures are drawn in worker
processes (matplotlib is Python-heavy: threads would queue on the GIL), a bounded queue answers 503
when full, recordings past a duration cap are refused before decoding, and the figure of a long
recording is drawn at a bounded resolution.
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, HTTPException, UploadFile
from fastapi.responses import HTMLResponse

from envsound.audio import AUDIO_EXTENSIONS
from envsound.errors import AudioError
from envsound.workers import process_pool

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_SECONDS = 600.0
MAX_QUEUED = 64  # requests waiting for a worker; more get 503 at once instead of a long wait
MULTIPART_OVERHEAD = 64 * 1024  # form boundaries and headers around the file
PAGE = Path(__file__).with_name("page.html")


class BodyLimit:
    """ASGI middleware: a POST body over ``max_bytes`` (plus the form's own overhead) gets 413 as
    soon as its header or its bytes say so, before the framework writes it anywhere."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        allowed = self.max_bytes + MULTIPART_OVERHEAD
        if declared is not None and declared.isdigit() and int(declared) > allowed:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowed:
                    raise _TooLarge
            return message

        async def watched(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = f'{{"detail": "file too large: the limit is {self.max_bytes // (1024 * 1024)} MB"}}'.encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(model_path: str | Path | None = None, max_bytes: int = MAX_UPLOAD_BYTES, max_seconds: float = MAX_UPLOAD_SECONDS,
               workers: int | None = None, max_queued: int = MAX_QUEUED) -> FastAPI:
    """FastAPI's annotations are resolved at module level, hence its imports up top (``serve`` extra)."""
    import importlib.util

    from envsound.audio import load_audio, probe
    from envsound.inference.predict import Predictor
    from envsound.inference.timeline import compute_timeline

    predictor = Predictor.from_file(model_path)
    rate = predictor.extractor.sample_rate
    workers = workers or os.cpu_count() or 1
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="envsound-model")
    # spawned, not forked: a fork of a process with torch threads and an event loop is unsafe;
    # the figure workers import NumPy and matplotlib only (none on the runtime install: no figure)
    figures = process_pool(workers, multiprocessing.get_context("spawn")) if importlib.util.find_spec("matplotlib") else None
    waiting = {"count": 0}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        """On SIGTERM/SIGINT uvicorn ends the app here: the pools go with it, and the figure
        workers exit with the process even when it is killed outright."""
        yield
        pool.shutdown(wait=False, cancel_futures=True)
        if figures is not None:
            figures.shutdown(wait=True, cancel_futures=True)

    app = FastAPI(title="envsound", lifespan=lifespan)
    app.add_middleware(BodyLimit, max_bytes=max_bytes)

    def classify(data: bytes, suffix: str, name: str) -> dict:
        """All model and plotting work, in a pool thread."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                probe(path, max_seconds=max_seconds)
                signal = load_audio(path, rate)  # decoded once, bounded by the duration cap
                result = predictor.predict_array(signal, rate, top_k=5, name=name)
                seconds = len(signal) / rate
                segments = []
                if seconds > predictor.extractor.clip_seconds * 1.5:
                    segments = [s.to_dict() for s in compute_timeline(predictor, signal=signal).events()]
                image = None
                if figures is not None:
                    from envsound.evaluation.plots import clip_figure_png

                    image = base64.b64encode(figures.submit(clip_figure_png, signal, rate, f"{name} ({seconds:.1f} s)").result()).decode()
            except AudioError as err:
                raise HTTPException(422, str(err).replace(str(path), name)) from None
        top = [{"label": label, "probability": round(p, 4)} for label, p in zip(result.labels, result.probabilities)]
        return {"file": name, "seconds": round(seconds, 2), "label": result.answer, "abstained": result.abstained, "background": result.background, "top": top,
                "warning": result.warning, "segments": segments, "spectrogram_png": image}

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return PAGE.read_text()

    @app.post("/api/predict")
    async def predict(file: UploadFile = File(...)) -> dict:
        name = file.filename or "upload"
        suffix = Path(name).suffix.lower()
        if suffix not in AUDIO_EXTENSIONS:
            raise HTTPException(415, f"unsupported file type '{suffix or '?'}'; use one of {', '.join(AUDIO_EXTENSIONS)}")
        data = await file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise HTTPException(413, f"file too large: the limit is {max_bytes // (1024 * 1024)} MB")
        if waiting["count"] >= max_queued:
            raise HTTPException(503, f"busy: {waiting['count']} clips are waiting; try again in a few seconds", headers={"Retry-After": "5"})
        waiting["count"] += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, classify, data, suffix, Path(name).name)
        finally:
            waiting["count"] -= 1

    return app


def serve(host: str = "127.0.0.1", port: int = 8000, model_path: str | Path | None = None) -> None:
    """One worker per core, each with one torch thread: requests run side by side, not fighting
    over the same cores."""
    import uvicorn

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # the runtime install: onnxruntime's own threads
        pass
    uvicorn.run(create_app(model_path), host=host, port=port, log_level="info")
