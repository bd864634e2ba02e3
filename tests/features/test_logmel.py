import librosa
import numpy as np
import torch

from conftest import tone
from envsound.features.logmel import LogMel, LogMelConfig, LogMelExtractor
from envsound.features.mel import slaney_filterbank


def test_filterbank_matches_librosa():
    for sr, n_fft, n_mels, fmax in ((16000, 1024, 64, None), (32000, 1024, 128, 14000.0)):
        ours = slaney_filterbank(sr, n_fft, n_mels, 0.0, fmax)
        ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=0.0, fmax=fmax)
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-7)


def test_logmel_matches_librosa_melspectrogram():
    cfg = LogMelConfig(clip_seconds=1.0)
    y = tone(440, seconds=1.0, noise=0.1)
    ours = LogMel(cfg)(torch.from_numpy(y)[None])[0, 0].numpy()
    ref = librosa.feature.melspectrogram(
        y=y, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length, n_mels=cfg.n_mels, power=2.0, center=True, pad_mode="constant"
    )
    assert ours.shape == ref.shape == (cfg.n_mels, cfg.n_frames)
    # compared on the log scale where the energy is (>-10 dB below peak); max abs error in nats
    ref_log = np.log(ref + cfg.log_offset)
    loud = ref_log > ref_log.max() - 10
    assert np.abs(ours - ref_log)[loud].max() < 1e-3


def test_extractor_batches_and_shapes():
    ex = LogMelExtractor(LogMelConfig(clip_seconds=0.5))
    out = ex(np.stack([tone(300, 0.5), tone(3000, 0.5)]))
    assert out.shape == (2, *ex.output_shape) and out.dtype == np.float32
    # the louder band differs between a low and a high tone
    assert out[0, 0, :10].mean() > out[1, 0, :10].mean()
