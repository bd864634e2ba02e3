"""The web demo: API behaviour with a test client, and end to end in headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from conftest import REPO
from envsound.serve.app import create_app

CLIP = REPO / "examples" / "1-26806-A-1.flac"  # rooster


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(max_bytes=2 * 1024 * 1024))


def test_upload_returns_labels_and_spectrogram(client):
    response = client.post("/api/predict", files={"file": ("rooster.flac", CLIP.read_bytes(), "audio/flac")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["top"][0]["label"] == "rooster" and body["segments"] == []
    assert body["spectrogram_png"].startswith("iVBORw0KGgo")  # base64 of the PNG signature


def test_long_upload_gets_a_timeline(client, tmp_path, esc50_root):
    rain = sf.read(esc50_root / "audio" / "1-17367-A-10.flac")[0]
    dog = sf.read(esc50_root / "audio" / "1-100032-A-0.flac")[0]
    path = tmp_path / "long.flac"
    sf.write(path, np.concatenate([rain, rain, dog]), 16000)
    body = client.post("/api/predict", files={"file": ("long.flac", path.read_bytes(), "audio/flac")}).json()
    assert body["segments"] and body["segments"][0]["label"] == "rain"


@pytest.mark.parametrize(
    "name, payload, status, message",
    [
        ("notes.txt", b"hello", 415, "unsupported file type"),
        ("big.wav", b"\0" * (2 * 1024 * 1024 + 1), 413, "file too large"),
        ("broken.wav", b"RIFF1234WAVEjunk", 422, "broken.wav: not a readable audio file"),
    ],
)
def test_bad_uploads_get_clear_errors(client, name, payload, status, message):
    response = client.post("/api/predict", files={"file": (name, payload, "application/octet-stream")})
    assert response.status_code == status and message in response.json()["detail"]
    assert "/tmp" not in response.json()["detail"]  # no server paths leak into messages


def _chromium() -> str:
    path = os.environ.get("CHROMIUM", shutil.which("chromium") or "")
    if not path:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium not found (make test installs Debian's chromium)")
        pytest.skip("chromium not installed; the browser test needs Debian's chromium")
    return path


@pytest.fixture
def server():
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_browser_upload_shows_the_label(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto(server)
        page.click("#upload")
        assert "choose a file first" in page.inner_text("#error")
        page.set_input_files("#file", str(CLIP))
        page.click("#upload")
        page.wait_for_selector("#result:not([hidden])", timeout=60_000)
        assert "rooster" in page.inner_text("#title")
        assert page.eval_on_selector("#spectrogram", "img => img.naturalWidth") > 100
        page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
        bad = tmp_path / "notes.txt"
        bad.write_text("not audio")
        page.set_input_files("#file", str(bad))
        page.click("#upload")
        page.wait_for_function("document.getElementById('error').textContent.includes('unsupported')", timeout=30_000)
        browser.close()
    if os.environ.get("ENVSOUND_SCREENSHOT"):
        shutil.copy(tmp_path / "demo.png", os.environ["ENVSOUND_SCREENSHOT"])
