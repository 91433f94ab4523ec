"""``cible models``: versions with their gate metric and verdict, the champion moved by hand and back."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import USER_ERRORS, app
from cible.console import console
from features import clock
from features.settings import Settings
from training.registry import CHAMPION, RegistryError, decide, register, versions
from training.tracking import connect, experiment_id

runner = CliRunner()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CIBLE_HOME", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    settings = Settings.from_env()
    client = connect(settings)
    experiment = experiment_id(settings, "models-cli")
    champion: float | None = None
    for auc in (0.80, 0.78):  # the second loses its gate
        with mlflow.start_run(experiment_id=experiment) as run:
            mlflow.log_metric("roc_auc", auc)
            mlflow.log_text("a model", "model/MLmodel")
        register(client, f"runs:/{run.info.run_id}/model", "churn", decide("roc_auc", auc, champion, 0.0))
        champion = champion or auc
    return settings


def wide_console(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    """The console's width is read from the terminal once, at import: set it, whatever runs the tests."""
    monkeypatch.setattr(console, "width", columns)


def test_list_shows_each_version_its_gate_metric_and_the_champion(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide_console(monkeypatch, 120)
    result = runner.invoke(app, ["models", "list", "churn"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "churn" in line]
    assert "2 " in lines[0] and "roc_auc 0.7800" in lines[0] and "kept the champion" in lines[0]
    assert "1 *" in lines[1] and "roc_auc 0.8000" in lines[1] and "promoted" in lines[1]


def test_creation_times_are_the_retailers_local_time_and_the_header_names_its_zone(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # UTC+14 all year (no summer time): the local date and hour never match the UTC ones MLflow stores
    monkeypatch.setenv(clock.ZONE_ENV, "Pacific/Kiritimati")
    client = connect(home)
    stamp = pd.Timestamp(client.get_model_version("churn", "1").creation_timestamp, unit="ms")
    local = (stamp + pd.Timedelta(hours=14)).strftime("%Y-%m-%d %H:%M")
    assert versions(client, "churn")[-1].created == local
    wide_console(monkeypatch, 160)
    result = runner.invoke(app, ["models", "list", "churn"])
    assert result.exit_code == 0, result.output
    # the header names the zone (rich may wrap it over lines when the terminal is narrow)
    assert "(Pacific/Kiritimati" in result.output and "UTC" not in result.output
    assert local in next(line for line in result.output.splitlines() if "1 *" in line)


def test_promote_moves_the_champion_and_an_older_version_rolls_back(home: Settings) -> None:
    client = connect(home)
    result = runner.invoke(app, ["models", "promote", "churn", "2"])
    assert result.exit_code == 0 and "champion v2 (was v1)" in result.output
    assert str(client.get_model_version_by_alias("churn", CHAMPION).version) == "2"
    assert [v.promoted_by_hand for v in versions(client, "churn")] == [True, False]
    runner.invoke(app, ["models", "promote", "churn", "1"])
    assert str(client.get_model_version_by_alias("churn", CHAMPION).version) == "1"


def test_unknown_model_or_version_is_a_user_error_naming_it(home: Settings) -> None:
    for args, message in (
        (["models", "promote", "churn", "9"], "'churn' has no version '9'"),
        (["models", "list", "nope"], "no registered model 'nope'"),
    ):
        result = runner.invoke(app, args)
        # a RegistryError: `cible` prints it as one line and exits 1 (cible.cli.USER_ERRORS)
        assert isinstance(result.exception, RegistryError) and message in str(result.exception)
    assert issubclass(RegistryError, USER_ERRORS)
