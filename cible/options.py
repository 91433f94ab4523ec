"""The options several commands share, defined apart from the commands' libraries: ``cible train all``
declares them in a process that plans and dispatches and never imports pandas."""

from __future__ import annotations

import typer

from features.settings import DEFAULT_TRAIN_CUSTOMERS, TRAIN_CUSTOMERS_ENV

DATA_HELP = "Data folder (default: the synthetic data in the Cible home)."
AS_OF_HELP = (
    "Behave as if today were this date: nothing at or after it is read (default: after the last row)."
)
DataOption = typer.Option(None, "--data", help=DATA_HELP)
EngineOption = typer.Option(
    None, "--engine", help="Where batch work runs: local (default, this process) or dask. Env: CIBLE_ENGINE."
)
SchedulerOption = typer.Option(
    None,
    "--scheduler",
    help="Dask scheduler tcp://HOST:PORT (default: a local cluster started for the command). "
    "Env: CIBLE_DASK_SCHEDULER.",
)
PartitionsOption = typer.Option(
    None, "--partitions", min=1, help="Customer partitions to split the work into (default: 1 per 12,500)."
)
AsOfOption = typer.Option(None, "--as-of", help=AS_OF_HELP)
TrainCustomersOption = typer.Option(
    None,
    "--train-customers",
    metavar="N",
    help=f"Train on a sample of N customers when the data holds more (0 or all: every customer; default "
    f"{DEFAULT_TRAIN_CUSTOMERS:,}). Scores and materialisation still cover every customer. "
    f"Env: {TRAIN_CUSTOMERS_ENV}.",
)
