"""Predictive pipelines: labels, rolling-origin cutoffs, candidates, calibration, evaluation, the
promotion gate, and batch scores. The served objects live in :mod:`features.predictive`."""
