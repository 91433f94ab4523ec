"""``cible train segments`` (and its part of ``cible train all``): fit, report and register segmentation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from cible.common import (
    AsOfOption,
    DataOption,
    TrainCustomersOption,
    command_engine,
    engine_config,
    load_training_data,
    resolve_as_of,
)
from cible.console import console, steps
from features.batch_engine import BatchEngine
from features.dataset import Dataset
from features.settings import Settings
from training.segments.config import SegmentsConfig
from training.segments.train import train_segments


def run_segments(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config_file: Path | None,
    engine: BatchEngine | None = None,
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
