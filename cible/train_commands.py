"""``cible train …``: training pipelines, each one MLflow run registered behind its promotion gate."""

from __future__ import annotations

from pathlib import Path

import typer

from cible import intent_commands, predict_commands, recommend_commands, uplift_commands
from cible.common import (
    AsOfOption,
    DataOption,
    EngineOption,
    PartitionsOption,
    SchedulerOption,
    TrainCustomersOption,
    command_engine,
    engine_config,
    load_training_data,
    resolve_as_of,
)
from cible.train_segments import run_segments
from features.settings import Settings

app = typer.Typer(help="Train, evaluate and register models in MLflow.", no_args_is_help=True)


@app.command()
def segments(
    data: Path = DataOption,
    as_of: str = AsOfOption,
    config: Path = typer.Option(None, help="YAML file overriding the segmentation settings."),
    train_customers: str = TrainCustomersOption,
) -> None:
    """RFM segments, behavioural clusters (stable names) and value tiers; store memberships (of every
    customer, also when the model is trained on a sample)."""
    settings = Settings.from_env()
    dataset = load_training_data(settings, data, train_customers)
    with command_engine(settings, data, dataset, engine_config(None, None, None)) as engine:
        run_segments(dataset, resolve_as_of(dataset, as_of), settings, config, engine)


for _name, _command in predict_commands.TRAIN_COMMANDS.items():
    app.command(_name)(_command)
app.command("nbo")(recommend_commands.nbo)
app.command("intent")(intent_commands.intent)
app.command("uplift")(uplift_commands.uplift)


@app.command("all")
def train_all(
    data: Path = DataOption,
    as_of: str = AsOfOption,
    jobs: int = typer.Option(
        None,
        "--jobs",
        min=1,
        help="Pipelines trained at once, each in its own process (default: one per core, as many as the "
        "available memory holds at ~1.5 GB each; "
        "env: CIBLE_TRAIN_JOBS; one with --engine dask, whose cluster does the parallel work).",
    ),
    engine: str = EngineOption,
    scheduler: str = SchedulerOption,
    partitions: int = PartitionsOption,
    train_customers: str = TrainCustomersOption,
) -> None:
    """Every training pipeline (segments, predictive models, recommender, offer response, intent, uplift),
    in parallel processes when there are cores to spare; one the data cannot train is skipped with the
    reason.

    Above 4 x CIBLE_PARTITION_CUSTOMERS customers (default 40,000; Parquet data) the customer features of
    every cutoff are built from the files a customer partition at a time, and each pipeline loads only
    the tables and columns it reads itself; below, the data set is loaded and the features built from it.
    On --engine dask the features are built on the cluster; the models are fitted in this process."""
    from cible.train_all import train_all as run_all

    run_all(data, as_of, jobs, engine_config(engine, scheduler, partitions), train_customers)
