"""A small local web app: upload or record a clip, see its labels, spectrogram and timeline."""

import base64
import tempfile
from pathlib import Path

from fastapi import FastAPI, File, HTTPException, UploadFile
from fastapi.responses import HTMLResponse

from envsound.errors import AudioError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".opus")
PAGE = Path(__file__).with_name("page.html")


def create_app(model_path: str | Path | None = None, max_bytes: int = MAX_UPLOAD_BYTES) -> FastAPI:
    """FastAPI's annotations are resolved at module level, hence its imports up top (``serve`` extra)."""
    from envsound.audio import load_audio
    from envsound.evaluation.plots import clip_figure
    from envsound.inference.predict import Predictor
    from envsound.inference.timeline import compute_timeline

    predictor = Predictor.from_file(model_path)
    app = FastAPI(title="envsound")

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return PAGE.read_text()

    @app.post("/api/predict")
    async def predict(file: UploadFile = File(...)) -> dict:
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            raise HTTPException(415, f"unsupported file type '{suffix or '?'}'; use one of {', '.join(ALLOWED_SUFFIXES)}")
        data = await file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise HTTPException(413, f"file too large: the limit is {max_bytes // (1024 * 1024)} MB")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                result = predictor.predict_file(path, top_k=5)
                if result.error:
                    raise AudioError(result.error)
                signal = load_audio(path, 16000)
                seconds = len(signal) / 16000
                segments = []
                if seconds > predictor.extractor.clip_seconds * 1.5:
                    segments = [s.to_dict() for s in compute_timeline(predictor, path, 2.0, 0.5).segments(0.3)]
                png = Path(tmp) / "view.png"
                clip_figure(signal, 16000, png, f"{file.filename} ({seconds:.1f} s)")
                image = base64.b64encode(png.read_bytes()).decode()
            except AudioError as err:
                message = str(err).replace(str(path), file.filename or "upload")
                raise HTTPException(422, message) from None
        top = [{"label": label, "probability": round(p, 4)} for label, p in zip(result.labels, result.probabilities)]
        return {"file": file.filename, "seconds": round(seconds, 2), "top": top, "warning": result.warning, "segments": segments, "spectrogram_png": image}

    return app


def serve(host: str = "127.0.0.1", port: int = 8000, model_path: str | Path | None = None) -> None:
    import uvicorn

    uvicorn.run(create_app(model_path), host=host, port=port, log_level="info")
