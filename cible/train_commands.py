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
    command_engine,
    engine_config,
    load_data,
    resolve_as_of,
)
from cible.console import UserError, console, steps
from features.batch_engine import BatchEngine
from features.dataset import Dataset
from features.errors import CibleError
from features.settings import Settings
from training.segments.config import SegmentsConfig
from training.segments.train import train_segments

app = typer.Typer(help="Train, evaluate and register models in MLflow.", no_args_is_help=True)


def _run_segments(
    dataset: Dataset, as_of, settings: Settings, config_file: Path | None, engine: BatchEngine | None = None
) -> None:
    config = SegmentsConfig.from_yaml(config_file) if config_file else SegmentsConfig()
    with steps("segments", total=5) as progress:
        run = train_segments(dataset, as_of, settings, config, progress=progress, engine=engine)
    m = run.metrics
    console.print(
        f"segments v{run.version} (run {run.run_id[:8]}): k={int(m['k'])}, silhouette {m['silhouette']:.3f}, "
        f"smallest cluster {m['smallest_cluster_share']:.1%}"
        + (
            f", stability vs champion {m['stability_vs_champion']:.1%}"
            if "stability_vs_champion" in m
            else ""
        )
    )
    console.print(f"  gate: {run.decision.reason}", highlight=False)


@app.command()
def segments(
    data: Path = DataOption,
    as_of: str = AsOfOption,
    config: Path = typer.Option(None, help="YAML file overriding the segmentation settings."),
) -> None:
    """RFM segments, behavioural clusters (stable names) and value tiers; store memberships."""
    settings = Settings.from_env()
    dataset = load_data(settings, data)
    _run_segments(dataset, resolve_as_of(dataset, as_of), settings, config)


for _name, _command in predict_commands.TRAIN_COMMANDS.items():
    app.command(_name)(_command)
app.command("nbo")(recommend_commands.nbo)
app.command("intent")(intent_commands.intent)
app.command("uplift")(uplift_commands.uplift)


@app.command("all")
def train_all(
    data: Path = DataOption,
    as_of: str = AsOfOption,
    engine: str = EngineOption,
    scheduler: str = SchedulerOption,
    partitions: int = PartitionsOption,
) -> None:
    """Every training pipeline, in dependency order; one the data cannot train is skipped with the reason.

    On --engine dask the customer features of every cutoff (segments, predictive models, offer response,
    intent, uplift) are built on the cluster; the models are fitted in this process."""
    settings = Settings.from_env()
    config = engine_config(engine, scheduler, partitions)
    dataset = load_data(settings, data)
    cutoff = resolve_as_of(dataset, as_of)
    with command_engine(settings, data, dataset, config) as on:
        _train_all(dataset, cutoff, settings, on, data)


def _train_all(dataset: Dataset, cutoff, settings: Settings, on: BatchEngine, data: Path | None) -> None:
    console.print(
        f"training as of {cutoff:%Y-%m-%d %H:%M} into {settings.tracking_uri} (features: {on.name})"
    )
    pipelines = {
        "segments": lambda: _run_segments(dataset, cutoff, settings, None, on),
        "predictive models": lambda: predict_commands.train_predictive_all(dataset, cutoff, settings, on),
        "recommender": lambda: recommend_commands.run_recommender(dataset, cutoff, settings),
        "offer response": lambda: recommend_commands.run_offers(dataset, cutoff, settings, on),
        "intent": lambda: intent_commands.run_intent(dataset, cutoff, settings, on),
        "uplift": lambda: uplift_commands.run_uplift(dataset, cutoff, settings, skip_missing=True, engine=on),
    }
    skipped = {}
    for name, run in pipelines.items():
        try:
            run()
        except CibleError as exc:  # what one data set cannot train must not stop the others
            skipped[name] = str(exc)
            console.print(f"[yellow]skipped {name}:[/yellow] {exc}", highlight=False)
    if len(skipped) == len(pipelines):
        raise UserError(f"no pipeline could train on {data or settings.default_data}: see the reasons above")
