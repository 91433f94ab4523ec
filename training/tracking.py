"""MLflow set-up: one tracking URI and artifact location per Cible home, one experiment per pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import mlflow
from mlflow import ActiveRun
from mlflow.tracking import MlflowClient

from features.dataset import Dataset
from features.settings import Settings
from features.train_sample import whole_data


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


@contextmanager
def training_run(settings: Settings, experiment: str, run_name: str, dataset: Dataset) -> Iterator[ActiveRun]:
    """An MLflow run of ``experiment`` training on ``dataset``, which logs what the data set is: its number
    of customers and the ``train_customers`` setting (a sample, when the data holds more; see
    :mod:`features.train_sample`)."""
    with mlflow.start_run(experiment_id=experiment_id(settings, experiment), run_name=run_name) as run:
        mlflow.log_params(whole_data(dataset).params())
        yield run
