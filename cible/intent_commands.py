"""``cible train intent``: the purchase-intent model (registered by ``cible.train_commands``)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from rich.table import Table as RichTable

from cible.common import (
    AsOfOption,
    DataOption,
    TrainCustomersOption,
    load_training_data,
    resolve_as_of,
)
from cible.console import console, steps
from features.batch_engine import BatchEngine
from features.dataset import Dataset
from features.settings import Settings
from training.intent.config import IntentConfig
from training.intent.evaluate import BRIER, PR_AUC, ROC_AUC
from training.intent.rows import IntentCutoffs, NotEnoughIntentHistoryError
from training.intent.train import IntentRun, train_intent

STEPS = 4  # rows and labels, fitting, evaluating, logging


def _print_run(run: IntentRun) -> None:
    console.print(
        f"[bold]intent[/bold] v{run.version} (run {run.run_id[:8]}): {run.rows.cutoffs.describe()}; "
        f"{int(run.metrics['rows']):,} validation visitors, {run.metrics['purchase_rate']:.1%} bought within "
        f"{run.model.horizon_days} days",
        highlight=False,
    )
    table = RichTable(title_justify="left")
    for header in ("model", ROC_AUC, PR_AUC, BRIER):
        table.add_column(header, justify="left" if header == "model" else "right")
    rows = [("intent (LightGBM, calibrated)", run.metrics)]
    rows += [(f"baseline: {name}", metrics) for name, metrics in run.baselines.items()]
    if run.champion_metrics is not None:
        rows.append(("current champion", run.champion_metrics))
    for name, metrics in rows:
        values = [metrics.get(m, math.nan) for m in (ROC_AUC, PR_AUC, BRIER)]
        table.add_row(name, *("n/a" if math.isnan(v) else f"{v:.4f}" for v in values))
    console.print(table)
    console.print(f"  gate: {run.decision.reason}", highlight=False)


def run_intent(
    dataset: Dataset, as_of: pd.Timestamp, settings: Settings, engine: BatchEngine | None = None
) -> IntentRun | None:
    """Train the intent model; too little web history is reported and skipped (returns None)."""
    try:
        with steps("intent", total=STEPS) as progress:
            run = train_intent(dataset, as_of, settings, progress=progress, engine=engine)
    except NotEnoughIntentHistoryError as exc:
        console.print(f"[yellow]skipped intent:[/yellow] {exc}", highlight=False)
        return None
    _print_run(run)
    return run


def intent(
    data: Path = DataOption, as_of: str = AsOfOption, train_customers: str = TrainCustomersOption
) -> None:
    """Purchase intent: P(a purchase within 7 days) of each web/app visitor from their recent events;
    time-split evaluation against simple rules, calibrated, registered as `intent` behind the gate."""
    settings = Settings.from_env()
    dataset = load_training_data(settings, data, train_customers)
    cutoff = resolve_as_of(dataset, as_of)
    console.print(
        f"intent as of {cutoff:%Y-%m-%d %H:%M}: {IntentCutoffs.plan(cutoff, IntentConfig()).describe()}"
    )
    run_intent(dataset, cutoff, settings)
