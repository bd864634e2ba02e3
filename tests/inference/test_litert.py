"""`envsound export --tflite`: the network goes to LiteRT through onnx2tf in its own environment.
CI has no such environment (TensorFlow pins NumPy below 2), so the plumbing is tested with a
stand-in converter; the real conversion runs when ENVSOUND_LITERT_PYTHON names one."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from envsound.utils import sha256_file


def _converter(tmp_path: Path, body: str) -> Path:
    """A stand-in for the conversion environment's Python: called as PYTHON SCRIPT WORK FORM."""
    fake = tmp_path / "converter-python"
    fake.write_text("#!/bin/sh\n" + body)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def test_without_a_conversion_environment_it_is_one_line_naming_the_requirements(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("ENVSOUND_LITERT_PYTHON", raising=False)
    code, out, err = cli("export", "fast", "--tflite", tmp_path / "m.tflite")
    assert code != 0 and "litert-requirements.txt" in err and "--converter-python" in err and "Traceback" not in err
    assert not (tmp_path / "m.tflite").exists()
    code, _, err = cli("export", "fast", "--tflite", tmp_path / "m.tflite", "--onnx", tmp_path / "m.onnx")
    assert code != 0 and "one of --onnx" in err


def test_the_export_writes_the_converted_graph_and_a_sidecar_describing_its_input(cli, tmp_path):
    # the stand-in records the shape it was asked for and writes the form's file where the converter would
    fake = _converter(tmp_path, 'cp "$2/shape.txt" "$2/$3.tflite"\necho "$3" > "' + str(tmp_path / "asked") + '"\n')
    code, out, err = cli("export", "fast", "--tflite", tmp_path / "m.tflite", "--converter-python", fake, "--int8")
    assert code == 0, err
    assert (tmp_path / "asked").read_text().strip() == "int8_weights_only"
    assert (tmp_path / "m.tflite").read_text() == "1,1,128,500"  # 5 s at 32 kHz, hop 320, 128 mels
    sidecar = json.loads((tmp_path / "m.tflite.json").read_text())
    assert sidecar["shape"] == [1, 128, 500, 1] and sidecar["layout"] == "NHWC" and sidecar["form"] == "int8_weights_only"
    assert len(sidecar["classes"]) == 50 and sidecar["features"]["kind"] == "efficientat-logmel"
    assert sidecar["tflite_sha256"] == sha256_file(tmp_path / "m.tflite")


def test_a_failed_conversion_is_one_line_and_leaves_no_file(cli, tmp_path):
    fake = _converter(tmp_path, 'echo "Traceback (most recent call last):" >&2\necho "onnx2tf failed: unsupported op Foo" >&2\nexit 1\n')
    code, out, err = cli("export", "fast", "--tflite", tmp_path / "m.tflite", "--converter-python", fake)
    assert code != 0 and "unsupported op Foo" in err and err.count("\n") <= 2
    assert not (tmp_path / "m.tflite").exists() and not (tmp_path / "m.tflite.json").exists()


@pytest.mark.skipif(not os.environ.get("ENVSOUND_LITERT_PYTHON"), reason="needs a LiteRT conversion environment (ENVSOUND_LITERT_PYTHON)")
def test_a_real_conversion_matches_the_onnx_graph(tmp_path):
    """fp32 LiteRT against the ONNX graph it came from, on one real clip (benchmarks/litert.py
    measures 2000 clips and int8)."""
    import subprocess

    from envsound.inference.litert_export import export_litert
    from envsound.inference.shipped import resolve_model

    out = export_litert(resolve_model("fast"), tmp_path / "fast.tflite")
    assert out.stat().st_size > 1_000_000
    check = ("import sys, numpy as np\nfrom ai_edge_litert.interpreter import Interpreter\n"
             "i = Interpreter(model_path=sys.argv[1]); i.allocate_tensors(); print(list(i.get_input_details()[0]['shape']))\n")
    shape = subprocess.run([os.environ["ENVSOUND_LITERT_PYTHON"], "-c", check, str(out)], capture_output=True, text=True, check=True).stdout
    assert json.loads(shape) == json.loads((tmp_path / "fast.tflite.json").read_text())["shape"] == [1, 128, 500, 1]  # one clip, no resizing
