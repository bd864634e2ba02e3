"""Write the ONNX form of each shipped model beside its torch file (run from the repo root):

    python scripts/export_shipped.py

`src/envsound/assets/esc50-{default,fast}.onnx` (+ `.onnx.json`) are what an install without torch
runs (`pip install envsound`). Each sidecar records the sha256 of the model file it was exported
from, so tests/inference/test_shipped.py fails when a shipped model changes and its ONNX form does
not: rerun this script then.
"""

from __future__ import annotations

from envsound.inference.onnx_export import export_onnx
from envsound.inference.shipped import SHIPPED_MODELS


def main() -> None:
    for name, path in SHIPPED_MODELS.items():
        print(f"{name}: {export_onnx(path, path.with_suffix('.onnx'))}")


if __name__ == "__main__":
    main()
