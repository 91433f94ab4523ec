"""MLflow on a real PostgreSQL server (127.0.0.1:5432): a training run is tracked and registered there, the
champion alias resolves and loads, and the artifacts still land under the Cible home."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import mlflow
import pandas as pd
import psycopg2
import pytest

from features.customer_features.build import build_customer_features
from features.settings import Settings
from tests.ci import unavailable
from training.registry import CHAMPION
from training.segments.config import SegmentsConfig
from training.segments.train import MODEL_NAME, train_segments
from training.tracking import connect

SERVER = os.environ.get("CIBLE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# libpq's words for "no server there", as opposed to a server that answers with an error
NOT_RUNNING = ("Connection refused", "could not connect", "timeout expired", "No such file or directory")


def admin_connection():
    """A connection to the server's maintenance database, or a skip (a failure on CI) if none answers."""
    try:
        connection = psycopg2.connect(f"{SERVER}/postgres", connect_timeout=3)
    except psycopg2.OperationalError as exc:
        if not any(sign in str(exc) for sign in NOT_RUNNING):
            raise  # a server that answers and refuses us (role, password, database) is a fault
        # A user's machine need not run PostgreSQL (SQLite is the default store); CI has one and fails here.
        unavailable(f"PostgreSQL at {SERVER} is not answering ({str(exc).strip()}); .ci/run starts one")
    connection.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
    return connection


@pytest.fixture()
def postgres_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    admin = admin_connection()
    name = f"cible_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("CIBLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"{SERVER}/{name}")
    try:
        yield Settings.from_env(), f"{SERVER}/{name}"
    finally:
        # MLflow's connection pool still holds sessions on the database: FORCE ends them.
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def test_a_training_run_tracks_and_registers_in_postgres(
    postgres_settings, small_synthetic, tmp_path
) -> None:
    settings, database = postgres_settings
    assert settings.tracking_uri.startswith("postgresql+psycopg2://")  # the driver Cible ships
    as_of = small_synthetic.default_as_of()
    run = train_segments(small_synthetic, as_of, settings, SegmentsConfig(seed=0))

    client = connect(settings)
    assert mlflow.get_tracking_uri() == settings.tracking_uri
    champion = client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
    assert str(champion.version) == run.version == "1"
    logged = client.get_run(run.run_id)
    assert logged.data.metrics["silhouette"] == pytest.approx(run.metrics["silhouette"])
    # The tracking server holds only metadata: every artifact is a file under the Cible home.
    artifact_root = settings.artifact_root.resolve().as_uri()
    assert logged.info.artifact_uri.startswith(artifact_root)
    download = client.get_model_version_download_uri(MODEL_NAME, champion.version)
    assert download.startswith(artifact_root), download
    assert not Path("mlruns").exists() or not any(Path("mlruns").rglob(run.run_id))

    # The champion, loaded back through the registry alias, gives the run's memberships again.
    model = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}@{CHAMPION}")
    again = model.predict(build_customer_features(small_synthetic, as_of))
    pd.testing.assert_frame_equal(again.reset_index(drop=True), run.memberships.reset_index(drop=True))

    # And the rows really are in PostgreSQL, in the test's own database.
    with psycopg2.connect(database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT name, version FROM model_versions")
        assert cursor.fetchall() == [(MODEL_NAME, 1)]
        cursor.execute("SELECT count(*) FROM runs WHERE run_uuid = %s", (run.run_id,))
        assert cursor.fetchone() == (1,)
    connection.close()
