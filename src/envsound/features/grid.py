"""What every front end's config shares: a sample rate, a clip length, a short-time frame grid and
a mel count, with the frame count they give and the dict that names the front end's kind in
saved configs and cache keys. A front end subclasses it, sets ``kind`` and redeclares only the
defaults it changes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar


@dataclass(frozen=True)
class FrameGrid:
    """Defaults are the pretrained backbone's (EfficientAT: 32 kHz, 5-s clips, 1024/320, 128 mels)."""

    kind: ClassVar[str] = "frame-grid"
    sample_rate: int = 32000
    clip_seconds: float = 5.0
    n_fft: int = 1024
    hop_length: int = 320
    n_mels: int = 128

    @property
    def clip_samples(self) -> int:
        return round(self.clip_seconds * self.sample_rate)

    @property
    def n_frames(self) -> int:
        """Frames of one clip, centred (the first frame's centre on the first sample)."""
        return self.clip_samples // self.hop_length + 1

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}
