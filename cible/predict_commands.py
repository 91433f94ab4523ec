"""``cible train churn|propensity|value|next-order`` and ``cible score``: the predictive models' commands.

The functions are registered by ``cible.train_commands`` (training) and ``cible.cli`` (score)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table as RichTable

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
    parse_timestamp,
    resolve_as_of,
    scoring_data,
)
from cible.console import UserError, console, steps
from features import clock
from features.batch_engine import BatchEngine
from features.customer_partitions import PartitionedData
from features.dataset import Dataset
from features.io import atomic_path
from features.memory import give_back
from features.predictive.model import CHURN, NEXT_ORDER, PROPENSITY, VALUE
from features.settings import Settings
from training.predictive.candidates import plan
from training.predictive.compare import cutoffs_for
from training.predictive.config import PredictiveConfig
from training.predictive.cutoffs import NotEnoughHistoryError
from training.predictive.rows import FeatureCache
from training.predictive.score import score_customers, withhold_profiling
from training.predictive.score_file import ScoreSummary, score_partitions
from training.predictive.targets import TARGETS
from training.predictive.train import PredictiveRun, train_target

ConfigOption = typer.Option(
    None,
    "--config",
    help="YAML file overriding the predictive settings (horizons, cutoffs, margins, lightgbm).",
)
# Shown in the candidates table, after the gate's own metric.
SHOWN_METRICS = {"binary": ("pr_auc", "brier", "aggregate_error"), "regression": ("rmse", "aggregate_error")}
FIXED_STEPS = 4  # features and labels, evaluating, scoring the champion, logging


def _config(path: Path | None) -> PredictiveConfig:
    return PredictiveConfig.from_yaml(path) if path else PredictiveConfig()


def _print_run(run: PredictiveRun) -> None:
    comparison, target = run.comparison, run.comparison.target
    console.print(
        f"[bold]{target.name}[/bold] v{run.version} (run {run.run_id[:8]}): best candidate "
        f"{run.candidate}; {comparison.cutoffs.describe()}",
        highlight=False,
    )
    table = RichTable(title_justify="left")
    shown = (target.metric, *SHOWN_METRICS[target.kind])
    for header in ("candidate", *shown):
        table.add_column(header, justify="left" if header == "candidate" else "right")
    rows = [(e.name, e.metrics) for e in comparison.candidates]
    if run.champion_metrics is not None:
        rows.append(("current champion", run.champion_metrics))
    for name, metrics in rows:
        values = [metrics.get(m, math.nan) for m in shown]
        table.add_row(name, *("n/a" if math.isnan(v) else f"{v:.4f}" for v in values))
    console.print(table)
    for name, why in comparison.skipped.items():
        console.print(f"  skipped {name}: {why}", highlight=False)
    console.print(f"  gate: {run.decision.reason}", highlight=False)


def run_target(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    target: str,
    config: PredictiveConfig,
    cache: FeatureCache | None = None,
) -> PredictiveRun:
    spec = TARGETS[target]
    cutoffs_for(dataset, as_of, spec, config)  # too little history: say so before any progress bar starts
    total = FIXED_STEPS + len(plan(spec, config, spec.horizon(config)))
    with steps(target, total=total) as progress:
        run = train_target(dataset, as_of, settings, target, config, cache, progress)
    _print_run(run)
    return run


def _train(
    target: str,
    data: Path | None,
    as_of: str | None,
    config: Path | None,
    engine: str | None,
    scheduler: str | None,
    partitions: int | None,
    train_customers: str | None,
) -> None:
    settings = Settings.from_env()
    overrides = _config(config)
    where = engine_config(engine, scheduler, partitions)
    dataset = load_training_data(settings, data, train_customers)
    cutoff = resolve_as_of(dataset, as_of)
    # On Dask the features of every cutoff are built on the cluster, and the LightGBM candidate is
    # trained there (lightgbm.dask) on the rows they give.
    with command_engine(settings, data, dataset, where) as on:
        cache = FeatureCache(dataset.before(cutoff), on, hold=())  # one target reads each cutoff once
        run_target(dataset, cutoff, settings, target, overrides, cache)


def _command(target: str, doc: str) -> Callable[..., None]:
    """``cible train TARGET``: the same options for every target."""

    def command(
        data: Path = DataOption,
        as_of: str = AsOfOption,
        config: Path = ConfigOption,
        engine: str = EngineOption,
        scheduler: str = SchedulerOption,
        partitions: int = PartitionsOption,
        train_customers: str = TrainCustomersOption,
    ) -> None:
        _train(target, data, as_of, config, engine, scheduler, partitions, train_customers)

    command.__doc__ = doc
    return command


churn = _command(
    CHURN, "Churn risk: P(no order in the next 90 days) for customers who ordered; register the best model."
)
propensity = _command(
    PROPENSITY,
    "Purchase propensity: P(an order in the next 30 days) for every customer; register the best model.",
)
value = _command(VALUE, "Customer value: net spend in the next 365 days; register the best model.")
next_order = _command(
    NEXT_ORDER, "Next order: expected days to the next order (within 180 days); register the best model."
)

TRAIN_COMMANDS = {"churn": churn, "propensity": propensity, "value": value, "next-order": next_order}


def train_predictive_all(
    dataset: Dataset, as_of: pd.Timestamp, settings: Settings, engine: BatchEngine | None = None
) -> None:
    """Churn, propensity, value and next order in turn, their features built on ``engine`` (default in
    memory) one cutoff at a time; a target the data are too short for is skipped with the reason, the
    others still run."""
    config = PredictiveConfig()
    # No features frame is held from one target to the next (on Dask the engine holds them): the two
    # cutoffs two targets read are built twice (~10 CPU s each at 100,000 customers) rather than held
    # (~100 MB each) through the fits between, which set the peak (issue 13: train all in 1.5 GB).
    cache = FeatureCache(dataset.before(as_of), engine, hold=())
    targets = (CHURN, PROPENSITY, VALUE, NEXT_ORDER)
    reads = [_cutoffs_read(cache, as_of, target, config) for target in targets]
    give_back()  # what loading left freed: the targets start from what is held
    for k, target in enumerate(targets):
        try:
            run_target(dataset, as_of, settings, target, config, cache)
        except NotEnoughHistoryError as exc:
            console.print(f"[yellow]skipped {target}:[/yellow] {exc}", highlight=False)
        cache.release(reads[k] - set().union(*reads[k + 1 :]))
        give_back()  # the target's rows and models, freed, are not the next target's starting point


def _cutoffs_read(
    cache: FeatureCache, as_of: pd.Timestamp, target: str, config: PredictiveConfig
) -> set[pd.Timestamp]:
    """The cutoffs whose features ``target`` reads (none when the data are too short for it)."""
    try:
        cutoffs = cutoffs_for(cache.past, as_of, TARGETS[target], config)
    except NotEnoughHistoryError:
        return set()
    return {cutoffs.validation, *cutoffs.training}


def score(
    data: Path = DataOption,
    as_of: str = AsOfOption,
    out: Path = typer.Option(..., "--out", help="Parquet file to write the scores to."),
    engine: str = EngineOption,
    scheduler: str = SchedulerOption,
    partitions: int = PartitionsOption,
) -> None:
    """Score every customer with the champion models: churn risk and band, propensity, value, next order
    date, segments and the top reasons, as of --as-of (nothing at or after it is read).

    On the local engine, data of more than CIBLE_PARTITION_CUSTOMERS customers (default 10,000) is
    loaded and scored one customer partition at a time (the same rows, bounded memory); with --engine
    dask or --partitions the data set is loaded whole."""
    if out.suffix != ".parquet":
        raise UserError(
            f"--out {out}: scores are written as Parquet (reasons are lists): use a .parquet name"
        )
    settings = Settings.from_env()
    config = engine_config(engine, scheduler, partitions)
    dataset = scoring_data(settings, data, config)
    if isinstance(dataset, PartitionedData):
        split = dataset
        cutoff = parse_timestamp(as_of) if as_of else split.default_as_of()
        with steps(f"scoring {split.parts} customer partitions", total=split.parts + 2) as progress:
            progress("splitting the data by customer")
            with split.partitions(cutoff) as loaded:
                # Consent as it stands now decides, since the file is written now.
                summary = score_partitions(loaded, cutoff, settings, clock.now(), out, progress)
        _said(summary, cutoff, out)
        return
    cutoff = resolve_as_of(dataset, as_of)
    with (
        steps(f"scoring on {config.describe()}", total=2) as progress,
        command_engine(settings, data, dataset, config) as on,
    ):
        progress("champions, features and scores")
        # Consent as it stands now decides, since the file is written now: a withdrawal recorded after
        # --as-of (even a second ago) is respected.
        scored = score_customers(dataset, cutoff, settings, on)
        scores = withhold_profiling(scored, dataset.consents, clock.now())
        progress("writing")
        with atomic_path(out) as tmp:
            scores.to_parquet(tmp, index=False)
    summary = ScoreSummary()
    summary.add(scores)
    _said(summary, cutoff, out)


def _said(summary: ScoreSummary, cutoff: pd.Timestamp, out: Path) -> None:
    bands = summary.bands
    console.print(
        f"wrote scores of {summary.customers:,} customers as of {cutoff:%Y-%m-%d} to {out}; churn risk: "
        + ", ".join(f"{band} {bands.get(band, 0):,}" for band in ("high", "medium", "low", "prospect"))
    )
    console.print(
        f"{summary.withheld_profiling:,} customers without `profiling` consent: row kept, "
        "scores, segments and recommendations left empty (profiling_consent=false)"
    )
    for name in summary.missing_models:
        command = TARGETS[name].command
        console.print(f"[yellow]no {name} champion:[/yellow] its columns are empty (`cible train {command}`)")
    for name in summary.missing_recommend_models:
        console.print(f"[yellow]no {name} champion:[/yellow] its columns are empty (`cible train nbo`)")
