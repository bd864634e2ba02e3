"""Each spectrogram extractor declares how far one dB of gain moves its values; check it is true."""

import numpy as np
import pytest

from envsound.features.efficientat import EfficientATLogMelExtractor
from envsound.features.logmel import LogMelExtractor


@pytest.mark.parametrize("extractor", [LogMelExtractor(), EfficientATLogMelExtractor(clip_seconds=1.0)], ids=["logmel", "efficientat"])
def test_declared_units_per_db_match_a_real_gain(extractor):
    rng = np.random.default_rng(0)
    n = round(extractor.sample_rate * 1.0)
    loud = rng.standard_normal((1, n)).astype(np.float32) * 0.3
    louder = loud * np.float32(10 ** (6 / 20))  # +6 dB
    shift = extractor(louder) - extractor(loud)
    # white noise fills every band far above the log offset, so the shift is the same everywhere
    np.testing.assert_allclose(np.median(shift), 6 * extractor.units_per_db, rtol=1e-3)
