"""MLflow set-up: one tracking URI and artifact location per Cible home, one experiment per pipeline."""

from __future__ import annotations

import mlflow
from mlflow.tracking import MlflowClient

from features.settings import Settings


def connect(settings: Settings) -> MlflowClient:
    """Point MLflow at the settings' tracking store (tracking and registry alike) and return a client."""
    settings.home.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


def experiment_id(settings: Settings, name: str) -> str:
    """The experiment ``name``, created with its artifacts under the Cible home if it does not exist."""
    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    location = (settings.artifact_root / name).as_uri()
    return mlflow.create_experiment(name, artifact_location=location)
