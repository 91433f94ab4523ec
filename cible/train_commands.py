"""``cible train …``: training pipelines, each one MLflow run registered behind its promotion gate."""

from __future__ import annotations

from pathlib import Path

import typer

from cible.cli import lazy_group
from cible.options import (
    AsOfOption,
    DataOption,
    EngineOption,
    PartitionsOption,
    SchedulerOption,
    TrainCustomersOption,
)
from features.engine import EngineConfig

# Each command's module imported when it runs: `train all` dispatches the pipelines to worker processes
# and keeps their libraries (~0.3 GB) out of its own.
COMMANDS = {
    "segments": ("cible.train_segments", "segments"),
    "churn": ("cible.predict_commands", "churn"),
    "propensity": ("cible.predict_commands", "propensity"),
    "value": ("cible.predict_commands", "value"),
    "next-order": ("cible.predict_commands", "next_order"),
    "nbo": ("cible.recommend_commands", "nbo"),
    "intent": ("cible.intent_commands", "intent"),
    "uplift": ("cible.uplift_commands", "uplift"),
}
app = typer.Typer(
    cls=lazy_group(COMMANDS),
    help="Train, evaluate and register models in MLflow.",
    no_args_is_help=True,
)


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

    run_all(data, as_of, jobs, EngineConfig.resolve(engine, scheduler, partitions), train_customers)
