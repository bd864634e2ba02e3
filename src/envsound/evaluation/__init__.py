"""Evaluation: metrics from saved predictions, figures, HTML reports, run comparison."""
