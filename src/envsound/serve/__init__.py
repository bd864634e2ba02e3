"""The local web demo: `envsound serve`."""
