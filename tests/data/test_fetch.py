"""Downloads against a local HTTP server on 127.0.0.1 (no network here)."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from envsound.data import load_esc50
from envsound.data.esc50 import fetch_esc50
from envsound.data.fetch import download, unpack
from envsound.errors import DownloadError


class _Server:
    """Serves one payload with Range and If-Range support (its ETag is the payload's hash); can cut
    the first response short, ignore ranges, or answer every range with 416."""

    def __init__(self, payload: bytes, break_first: bool = False, honour_range: bool = True, always_416: bool = False) -> None:
        self.payload, self.break_first, self.honour_range, self.always_416 = payload, break_first, honour_range, always_416
        self.requests: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                server.requests.append(rng)
                if self.path != "/data.zip":
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha256(server.payload).hexdigest()[:16] + '"'
                if rng and server.always_416:
                    self.send_error(416)
                    return
                same = self.headers.get("If-Range") in (None, etag)
                start = int(rng.split("=")[1].split("-")[0]) if rng and server.honour_range and same else 0
                body = server.payload[start:]
                self.send_response(206 if start else 200)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.break_first and len(server.requests) == 1:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/data.zip"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def serve():
    servers = []

    def start(payload: bytes, **kw) -> _Server:
        servers.append(_Server(payload, **kw))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def test_download_resumes_after_a_broken_connection(serve, tmp_path):
    payload = bytes(range(256)) * 4000
    server = serve(payload, break_first=True)
    dest = tmp_path / "x.bin"
    with pytest.raises(DownloadError, match="resume"):
        download(server.url, dest)
    assert not dest.exists() and (tmp_path / "x.bin.part").exists()
    download(server.url, dest, sha256=hashlib.sha256(payload).hexdigest())
    assert dest.read_bytes() == payload
    assert server.requests[1].startswith("bytes=") and server.requests[1] != "bytes=0-"


def test_a_part_of_another_file_is_never_resumed(serve, tmp_path):
    """Same URL, new content (the ETag changed): the old bytes must not be stitched on."""
    old, new = b"A" * 50_000, b"B" * 60_000
    server = serve(old, break_first=True)
    with pytest.raises(DownloadError):
        download(server.url, tmp_path / "x.bin")
    server.payload = new
    download(server.url, tmp_path / "x.bin")
    assert (tmp_path / "x.bin").read_bytes() == new
    assert server.requests[-1].startswith("bytes=")  # it asked to resume; If-Range made it start over


def test_a_part_from_another_url_or_without_validator_starts_over(serve, tmp_path):
    server = serve(b"C" * 30_000)
    (tmp_path / "x.bin.part").write_bytes(b"zz" * 100)  # no record of where it came from
    download(server.url, tmp_path / "x.bin")
    assert (tmp_path / "x.bin").read_bytes() == b"C" * 30_000 and server.requests == [None]


def test_416_is_never_taken_as_complete(serve, tmp_path):
    payload = b"D" * 40_000
    server = serve(payload, break_first=True)
    with pytest.raises(DownloadError):
        download(server.url, tmp_path / "x.bin")
    server.always_416 = True
    download(server.url, tmp_path / "x.bin")  # the 416 drops the part and fetches afresh
    assert (tmp_path / "x.bin").read_bytes() == payload


def test_cached_file_is_reused_only_for_its_url_and_its_recorded_sha256(serve, tmp_path):
    first, second = serve(b"first" * 1000), serve(b"second" * 1000)
    dest = download(first.url, tmp_path / "x.bin")
    from envsound.data.fetch import recorded_sha256

    assert recorded_sha256(dest) == hashlib.sha256(b"first" * 1000).hexdigest()  # recorded at first download
    download(first.url, dest)
    assert len(first.requests) == 1  # reused
    download(second.url.replace("127.0.0.1", "localhost"), dest)
    assert dest.read_bytes() == b"second" * 1000  # a new URL fetches again
    dest.write_bytes(b"tampered")
    download(second.url.replace("127.0.0.1", "localhost"), dest)
    assert dest.read_bytes() == b"second" * 1000  # no longer matches its record: fetched again


def test_download_starts_over_when_server_ignores_range(serve, tmp_path):
    payload = b"abc" * 10000
    server = serve(payload, honour_range=False)
    (tmp_path / "x.bin.part").write_bytes(b"zzz")
    download(server.url, tmp_path / "x.bin")
    assert (tmp_path / "x.bin").read_bytes() == payload


def test_checksum_mismatch_removes_the_file(serve, tmp_path):
    server = serve(b"hello" * 100)
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        download(server.url, tmp_path / "x.bin", sha256="0" * 64)
    assert not any(tmp_path.iterdir())


def test_http_error_is_one_line(serve, tmp_path):
    server = serve(b"x")
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(server.url.replace("data.zip", "nope.zip"), tmp_path / "x.bin")


def _fake_esc50_zip(esc50_root) -> bytes:
    """The real metadata with tiny stand-in audio files, zipped like the upstream archive."""
    buffer = io.BytesIO()
    meta = (esc50_root / "meta" / "esc50.csv").read_text().replace(".flac,", ".wav,")
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("ESC-50-master/meta/esc50.csv", meta)
        for row in csv.DictReader(io.StringIO(meta)):
            z.writestr(f"ESC-50-master/audio/{row['filename']}", b"RIFF")
    return buffer.getvalue()


def test_fetch_esc50_end_to_end(serve, tmp_path, esc50_root):
    payload = _fake_esc50_zip(esc50_root)
    server = serve(payload, break_first=True)
    dest = tmp_path / "esc50"
    with pytest.raises(DownloadError):
        fetch_esc50(dest, url=server.url)
    assert not dest.exists()  # nothing that looks complete after a failure
    fetch_esc50(dest, url=server.url, sha256=hashlib.sha256(payload).hexdigest())
    assert len(load_esc50(dest)) == 2000
    assert [p.name for p in tmp_path.iterdir()] == ["esc50"]  # download leftovers cleaned up


def test_archive_that_fails_verification_leaves_nothing_at_dest(serve, tmp_path, esc50_root):
    payload = _fake_esc50_zip(esc50_root).replace(b"ESC-50-master/audio/1-100032-A-0.wav", b"ESC-50-master/audio/1-100032-A-0.xyz")
    server = serve(payload)
    with pytest.raises(DownloadError, match="failed verification"):
        fetch_esc50(tmp_path / "esc50", url=server.url)
    assert not (tmp_path / "esc50").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # nor is the bad archive kept for reuse


def test_unpack_refuses_existing_destination_and_bad_archives(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(DownloadError, match="not a valid zip"):
        unpack(tmp_path / "bad.zip", tmp_path / "out", marker="meta/esc50.csv")
    assert not (tmp_path / "out").exists()
    (tmp_path / "out").mkdir()
    with pytest.raises(DownloadError, match="already exists"):
        unpack(tmp_path / "bad.zip", tmp_path / "out", marker="meta/esc50.csv")
