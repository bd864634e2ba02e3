"""Augmentation: online (batch-time, on log-mels) transforms."""
