"""The server under hostile and heavy use, on 127.0.0.1 only, every loop bounded in count and time."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from conftest import REPO, tone
from envsound.serve.app import MULTIPART_OVERHEAD, BodyLimit, create_app

CLIP = REPO / "examples" / "1-26806-A-1.flac"


def test_body_limit_answers_413_without_reading_the_rest():
    """A chunked body with no Content-Length: refused once the limit is passed, the rest unread."""
    reached = {"chunks": 0, "inner": False}

    async def inner(scope, receive, send):
        reached["inner"] = True
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def endless():
        reached["chunks"] += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", b"multipart/form-data")]}
    asyncio.run(BodyLimit(inner, max_bytes=1024 * 1024)(scope, endless, send))
    assert sent[0]["status"] == 413 and b"file too large" in sent[1]["body"]
    assert reached["chunks"] * 65536 <= 1024 * 1024 + MULTIPART_OVERHEAD + 65536
    scope["headers"].append((b"content-length", str(1 << 30).encode()))  # 1 GiB announced: refused unread
    asyncio.run(BodyLimit(inner, max_bytes=1024 * 1024)(scope, endless, send))
    assert sent[-2]["status"] == 413


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(max_bytes=2 * 1024 * 1024, max_seconds=30))


def test_names_that_are_mathtext_or_markup_are_plain_text(client):
    for name in ("$\\foo{$.flac", "<img src=x onerror=alert(1)>.flac", "a$b$c_{d}.flac"):
        response = client.post("/api/predict", files={"file": (name, CLIP.read_bytes(), "audio/flac")})
        assert response.status_code == 200, response.text
        assert response.json()["file"] == name
    page = client.get("/").text
    assert "innerHTML" not in page and "textContent" in page  # labels never parsed as HTML


def test_recordings_past_the_duration_cap_are_refused_before_decoding(client):
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(8000 * 40, np.float32), 8000, format="FLAC")  # 40 s of silence: small, but over 30 s
    response = client.post("/api/predict", files={"file": ("long.flac", buffer.getvalue(), "audio/flac")})
    assert response.status_code == 422 and "over the 30 s limit" in response.json()["detail"]


def _start(app):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def test_page_stays_responsive_and_a_full_queue_answers_503():
    """12 uploads at once against 1 worker and a queue of 4: the rest get 503 at once, and the page
    answers in under a second while the worker is busy (before the fix, the event loop was blocked)."""
    server, thread, url = _start(create_app(workers=1, max_queued=4))
    buffer = io.BytesIO()
    sf.write(buffer, tone(440, seconds=5.0), 16000, format="WAV")
    body = buffer.getvalue()
    try:
        with httpx.Client(timeout=60) as http, ThreadPoolExecutor(max_workers=12) as pool:
            futures = [pool.submit(http.post, f"{url}/api/predict", files={"file": (f"c{i}.wav", body, "audio/wav")}) for i in range(12)]
            time.sleep(0.3)
            started = time.perf_counter()
            assert http.get(url + "/", timeout=5).status_code == 200
            page_seconds = time.perf_counter() - started
            codes = sorted(f.result().status_code for f in futures)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert page_seconds < 1.0
    assert set(codes) <= {200, 503} and 1 <= codes.count(200) <= 12 and 503 in codes, codes
