"""`--train-customers`: a training command on a data set holding more customers says it trains on a
sample, logs the setting and the data set's customer count with its run, and still stores the segment
memberships of every customer; every command that trains takes the option."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cible.cli import app
from features.segments.memberships import MembershipStore
from features.settings import Settings
from training.tracking import connect

runner = CliRunner()
TRAINING_COMMANDS = (
    "all",
    "segments",
    "churn",
    "propensity",
    "value",
    "next-order",
    "nbo",
    "intent",
    "uplift",
)


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_a_sample_is_said_logged_and_memberships_cover_everyone(
    small_synthetic_dir: Path, settings: Settings
) -> None:
    out = invoke("train", "segments", "--data", str(small_synthetic_dir), "--train-customers", "400")
    assert "training on a sample of 400 of 1,500 customers (CIBLE_TRAIN_CUSTOMERS)" in " ".join(out.split())
    client = connect(settings)
    runs = client.search_runs([client.get_experiment_by_name("segments").experiment_id])
    assert [run.data.params["train_customers"] for run in runs] == ["400"]
    assert runs[0].data.params["data_customers"] == "1500"
    assert len(MembershipStore(settings.segments_dir).load()) == 1500

    out = invoke("train", "segments", "--data", str(small_synthetic_dir))  # the default: 100,000
    assert "training on a sample" not in out
    runs = client.search_runs([client.get_experiment_by_name("segments").experiment_id])
    assert sorted(run.data.params["train_customers"] for run in runs) == ["100000", "400"]


def test_every_training_command_takes_the_option() -> None:
    for command in TRAINING_COMMANDS:
        assert "--train-customers" in invoke("train", command, "--help"), command
