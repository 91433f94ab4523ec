"""Builds, evaluates and registers models in MLflow; batch scoring and exports. Imports ``features``;
never imported by ``serving``."""
