"""Segmentation runs: fit, profile, gate and register the segmentation model; store memberships; export."""
