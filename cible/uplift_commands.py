"""``cible train uplift``: the uplift model, learnt from the campaigns' control groups."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
from training.uplift.train import RESPONSE, NoControlGroupsError, train_uplift


def run_uplift(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    skip_missing: bool = False,
    engine: BatchEngine | None = None,
    owns_data: bool = False,
) -> None:
    """Train and report; with ``skip_missing`` (``train all``) data without control groups is a note.
    ``owns_data``: nothing reads ``dataset`` after this (see :func:`train_uplift`)."""
    try:
        with steps("uplift model") as progress:
            run = train_uplift(
                dataset, as_of, settings, progress=progress, engine=engine, owns_data=owns_data
            )
    except NoControlGroupsError as exc:
        if not skip_missing:
            raise
        console.print(f"[yellow]skipped uplift:[/yellow] {exc}", highlight=False)
        return
    ev = run.evaluation
    console.print(
        f"uplift v{run.version} (run {run.run_id[:8]}): {run.learner} on {ev.rows:,} assignments, "
        f"{ev.held_out_rows:,} of held-out customers (observed effect {ev.observed_effect:+.2%})",
        highlight=False,
    )
    for name, qini in ev.qini.items():
        label = "response model (P(order | contacted))" if name == RESPONSE else name
        console.print(
            f"  {label}: Qini {qini:+.5f}, uplift@30% {ev.uplift_at_30[name]:+.2%} (random targeting = 0)",
            highlight=False,
        )
    console.print(f"  gate: {run.decision.reason}", highlight=False)


def uplift(
    data: Path = DataOption, as_of: str = AsOfOption, train_customers: str = TrainCustomersOption
) -> None:
    """Uplift model (T-learner, transformed outcome, X-learner) from the campaigns' control groups,
    compared with the response model by Qini on held-out customers, registered behind its gate."""
    settings = Settings.from_env()
    dataset = load_training_data(settings, data, train_customers)
    run_uplift(dataset, resolve_as_of(dataset, as_of), settings)
