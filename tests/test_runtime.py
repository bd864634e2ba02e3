"""The runtime: predict, timeline, listen and card work with no torch (nor the rest of the train
stack), on the shipped models' ONNX forms; a command that needs more says which extra.

A subprocess blocks the train stack's modules (``sys.modules[name] = None`` makes importing them
fail as if they were not installed); benchmarks/runtime.py does the same in a real virtual
environment built from the wheel, and measures it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "examples" / "1-26806-A-1.flac"  # a rooster
TRAIN_STACK = ("torch", "sklearn", "matplotlib", "scipy", "audiomentations", "skops", "onnx", "pandas", "fastapi", "ray", "librosa", "openpyxl")
WITHOUT_TRAIN_STACK = (f"import sys\nfor name in {TRAIN_STACK!r}:\n    sys.modules[name] = None\n"
                       "from envsound.cli.main import main\nsys.argv = ['envsound', *sys.argv[1:]]\nmain()\n")


def runtime(*args: object, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_TRAIN_STACK, *map(str, args)], input=stdin, capture_output=True, timeout=300, cwd=REPO)


def test_the_onnx_path_imports_no_torch():
    code = ("import sys; from envsound.inference.predict import Predictor; "
            f"r = Predictor.from_file('fast', backend='onnx').predict_file({str(CLIP)!r}); "
            "print(r.labels[0], [m for m in ('torch', 'sklearn', 'matplotlib', 'scipy') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.split(maxsplit=1) == ["rooster", "[]\n"], result.stderr[-2000:]


@pytest.mark.parametrize("model", [None, "fast"])
def test_predict_without_the_train_stack_uses_the_shipped_onnx_form(model):
    result = runtime("predict", CLIP, "--json", *(["--model", model] if model else []))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert json.loads(result.stdout)[0]["label"] == "rooster"


@pytest.mark.slow
def test_timeline_listen_and_card_without_the_train_stack(tmp_path):
    import soundfile as sf

    timeline = runtime("timeline", CLIP, "--model", "fast", "-o", tmp_path / "events.csv")
    assert timeline.returncode == 0 and (tmp_path / "events.csv").exists(), timeline.stderr.decode()[-2000:]
    data, rate = sf.read(CLIP)
    wav = tmp_path / "clip.wav"
    sf.write(wav, data, rate)
    listen = runtime("listen", "-", "--model", "fast", "--jsonl", "--every-window", stdin=wav.read_bytes())
    assert listen.returncode == 0, listen.stderr.decode()[-2000:]
    assert json.loads(listen.stdout.decode().splitlines()[-1])["seconds"] == pytest.approx(5.0, abs=0.1)
    card = runtime("card")
    assert card.returncode == 0 and b"2 networks averaged" in card.stdout and b"CC BY-NC 3.0" in card.stdout and b"ONNX export of esc50-default.pt" in card.stdout


def test_a_command_that_needs_torch_names_its_extra(tmp_path):
    result = runtime("train", REPO / "examples", "--out", tmp_path / "m.pt")
    assert result.returncode == 2 and result.stderr.decode().strip() == "error: this needs torch, which this install does not have: pip install 'envsound[train]'"


@pytest.mark.parametrize("name", ["default", "fast"])
def test_the_shipped_onnx_forms_are_exports_of_the_shipped_files(name):
    """A shipped model changed without its ONNX form: rerun scripts/export_shipped.py."""
    from envsound.inference.shipped import shipped_model_path

    torch_file, onnx_file = shipped_model_path(name, onnx=False), shipped_model_path(name, onnx=True)
    sidecar = json.loads(onnx_file.with_name(onnx_file.name + ".json").read_text())
    assert sidecar["source"] == torch_file.name
    assert sidecar["source_sha256"] == hashlib.sha256(torch_file.read_bytes()).hexdigest(), "stale: python scripts/export_shipped.py"


@pytest.mark.slow
def test_serve_on_the_runtime_answers_without_a_figure():
    """`envsound serve` with its extra but no train stack: labels, no spectrogram (no matplotlib)."""
    blocked = tuple(name for name in TRAIN_STACK if name not in ("fastapi",))
    code = (f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
            "from fastapi.testclient import TestClient\nfrom envsound.serve.app import create_app\n"
            f"client = TestClient(create_app('fast', workers=1))\n"
            f"r = client.post('/api/predict', files={{'file': ('rooster.flac', open({str(CLIP)!r}, 'rb').read())}}).json()\n"
            "print(r['label'], r['spectrogram_png'])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.split() == ["rooster", "None"], result.stderr[-2000:]
