"""``cible train nbo`` and ``cible recommend``: train the product recommender, ask it for a customer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from cible.common import (
    AsOfOption,
    DataOption,
    TrainCustomersOption,
    load_data,
    load_training_data,
    parse_timestamp,
    resolve_as_of,
)
from cible.console import console, steps
from features import columns as c
from features.batch_engine import BatchEngine
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.errors import NoChampionError
from features.offers.best_offer import (
    NEXT_BEST_OFFER,
    OFFER_CATEGORY,
    OFFER_CHANNEL,
    OFFER_EXPECTED_VALUE,
    best_offers,
)
from features.offers.catalogue import DEFAULT_CATALOGUE, load_catalogue
from features.offers.decision import NO_OFFER
from features.recommend.history import CustomerHistory
from features.settings import Settings
from training.offers.register import NoOfferHistoryError, load_offer_champion, train_offer_response
from training.recommend.report import markdown, metrics_table
from training.recommend.train import load_champion, train_nbo
from training.tracking import connect
from training.uplift.train import load_uplift_champion


def run_nbo(dataset: Dataset, as_of: pd.Timestamp, settings: Settings) -> None:
    """The recommender, then the offer response model."""
    run_recommender(dataset, as_of, settings)
    run_offers(dataset, as_of, settings)


def run_recommender(
    dataset: Dataset, as_of: pd.Timestamp, settings: Settings, owns_data: bool = False
) -> None:
    """``owns_data``: nothing reads ``dataset`` after this (see :func:`train_nbo`)."""
    with steps("recommender", total=4) as progress:
        run = train_nbo(dataset, as_of, settings, progress=progress, owns_data=owns_data)
    cut = run.cutoffs
    console.print(
        f"recommender v{run.version} (run {run.run_id[:8]}): validated on purchases from "
        f"{cut.validation:%Y-%m-%d} to {cut.end:%Y-%m-%d} by {run.evaluation.customers:,} customers"
    )
    console.print(markdown(metrics_table(run.evaluation)), highlight=False)
    console.print(f"  gate: {run.decision.reason}", highlight=False)


def run_offers(
    dataset: Dataset, as_of: pd.Timestamp, settings: Settings, engine: BatchEngine | None = None
) -> None:
    try:
        with steps("offer response model"):
            offers = train_offer_response(dataset, as_of, settings, engine=engine)
    except NoOfferHistoryError as exc:  # e.g. a public data set without a contacts history
        console.print(f"[yellow]skipped offer_response:[/yellow] {exc}", highlight=False)
        return
    console.print(
        f"offer_response v{offers.version} (run {offers.run_id[:8]}): ROC-AUC {offers.model_auc:.4f} vs "
        f"offer x channel acceptance rates {offers.baseline_auc:.4f} "
        f"on {offers.validation_contacts:,} offers",
        highlight=False,
    )
    console.print(f"  gate: {offers.decision.reason}", highlight=False)


def offer_line(dataset: Dataset, at: pd.Timestamp, customer_id: str, settings: Settings) -> str:
    """The customer's next best offer, or why there is none."""
    client = connect(settings)
    model = load_offer_champion(client)
    if model is None:
        return "next best offer: no offer_response champion (run `cible train nbo`)"
    features = build_customer_features(dataset, at)
    features = features[features[c.CUSTOMER_ID] == customer_id]
    if features.empty:
        return "next best offer: none (not a customer as of this date)"
    uplift = load_uplift_champion(client)
    row = best_offers(dataset, at, features, model, load_catalogue(DEFAULT_CATALOGUE), uplift).iloc[0]
    if row[NEXT_BEST_OFFER] == NO_OFFER:
        return "next best offer: no offer (nothing eligible and consented has a positive expected value)"
    on = f" on {row[OFFER_CATEGORY]}" if row[OFFER_CATEGORY] else ""
    return (
        f"next best offer: {row[NEXT_BEST_OFFER]}{on} by {row[OFFER_CHANNEL]}, "
        f"expected {'incremental ' if uplift is not None else ''}value {row[OFFER_EXPECTED_VALUE]:.3f} EUR"
    )


def nbo(
    data: Path = DataOption, as_of: str = AsOfOption, train_customers: str = TrainCustomersOption
) -> None:
    """Product recommender: candidates, LambdaRank ranker, baselines, gate, register."""
    settings = Settings.from_env()
    dataset = load_training_data(settings, data, train_customers)
    run_nbo(dataset, resolve_as_of(dataset, as_of), settings)


def recommend(
    customer_id: str = typer.Argument(..., help="Customer id (an unknown id gets popular items)."),
    data: Path = DataOption,
    k: int = typer.Option(10, "-k", min=1, max=100, help="Number of items."),
    as_of: str = AsOfOption,
    context: list[str] = typer.Option(
        None, "--context", help="SKU being viewed or in the cart (repeatable)."
    ),
) -> None:
    """Top-k products for a customer with score, source and reason, from the champion recommender."""
    settings = Settings.from_env()
    with steps("loading the champion recommender"):
        model = load_champion(connect(settings))
    if model is None:
        raise NoChampionError("no recommender is registered as champion: run `cible train nbo` first")
    dataset = load_data(settings, data)
    at = parse_timestamp(as_of) if as_of else dataset.default_as_of()
    # Histories come from the data, not the model, and only for customers who granted profiling.
    history = CustomerHistory.build(dataset, at, model.catalogue_)
    served = model.with_history(history)
    known = history.position(customer_id) >= 0
    names = dict(zip(model.catalogue_.skus.tolist(), model.catalogue_.names.tolist(), strict=True))
    console.print(
        f"{k} items for {customer_id}"
        + ("" if known else " (no history or no profiling consent: non-personal items)"),
        highlight=False,
    )
    for rank, rec in enumerate(served.recommend(customer_id, context or (), k), start=1):
        console.print(
            f"{rank:>3}. {rec.sku:<12} {names.get(rec.sku, '')[:40]:<40} {rec.score:6.3f}  "
            f"{rec.source:<14} {rec.reason}",
            highlight=False,
        )
    console.print(offer_line(dataset, at, customer_id, settings), highlight=False)
