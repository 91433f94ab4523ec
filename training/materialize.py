"""Filling the online store from offline features, segments and batch scores, for the service to read."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features import clock
from features import columns as c
from features.batch_engine import BatchEngine, InMemoryEngine
from features.campaigns.results import CAMPAIGN_RESULTS_FILE, campaign_results
from features.consent_gate import check_consent
from features.customer_features.build import AS_OF_COLUMN
from features.customer_features.consent import consent_proofs, consent_state
from features.dataset import Dataset
from features.errors import NoChampionError
from features.io import write_table
from features.online_store.base import (
    CONSENT_PROOF,
    CONTACT_KEEP_SECONDS,
    REPORTED_CONTACTS,
    OnlineStore,
    Record,
)
from features.online_store.history import BatchEvent, history_records, recent_contacts, recent_events
from features.reports import write_churn_risk, write_reports
from features.settings import Settings
from training.predictive.champions import ScoringChampions
from training.predictive.score import score_customers, withhold_profiling

READ_BACK = 2_000  # previous records decoded at a time, for the sends reported to the service


def _clean(value: object) -> object:
    """JSON-ready scalars: numpy numbers as Python ones, NaN and NaT as None, timestamps as ISO text."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _column(series: pd.Series) -> list[object]:
    """A column's values as :func:`_clean` makes them; plain numbers converted a column at a time (a
    record per customer of ~120 values, value by value, was a third of a materialisation's time)."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":  # not nullable extension types
        values = series.to_numpy()
        out: list[object] = values.tolist()  # Python ints, floats and bools
        if values.dtype.kind == "f":
            for i in np.flatnonzero(np.isnan(values)):
                out[i] = None
        return out
    return [_clean(v) for v in series.to_numpy(dtype=object)]


def _rows(frame: pd.DataFrame) -> dict[str, Record]:
    columns = [col for col in frame.columns if col != c.CUSTOMER_ID]
    values = [_column(frame[col]) for col in columns]
    return {
        cid: dict(zip(columns, row, strict=True))
        for cid, row in zip(frame[c.CUSTOMER_ID], zip(*values, strict=True), strict=True)
    }


@dataclass(frozen=True)
class CustomerParts:
    """What a customer's record holds besides the features and the champions' scores."""

    consents: dict[str, dict[str, bool]]
    proofs: dict[str, Any]
    profiled: dict[str, bool]
    histories: dict[str, dict[str, Any]]
    contacted: dict[str, list[str]]


def customer_parts(dataset: Dataset, as_of: pd.Timestamp, ids: pd.Index, now: pd.Timestamp) -> CustomerParts:
    """The consent state as of now (a later withdrawal is applied by the next materialisation), the
    purchase and browsing history at ``as_of`` and a month of sends, whatever the pressure window is set
    to (the service counts the window's)."""
    consent = consent_state(dataset.consents, ids, now)
    return CustomerParts(
        consents={cid: {p: bool(v) for p, v in row.items()} for cid, row in consent.iterrows()},
        proofs=consent_proofs(dataset.consents, ids, now),
        profiled=dict(
            zip(ids, check_consent(dataset.consents, ids, now, needs_profiling=True).allowed, strict=True)
        ),
        histories=history_records(dataset, as_of),
        contacted=recent_contacts(dataset, as_of, days=CONTACT_KEEP_SECONDS // 86400),
    )


def champion_scores(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    engine: BatchEngine,
    now: pd.Timestamp,
    champions: ScoringChampions | None,
) -> dict[str, Record]:
    """The champions' scores of each customer as they may leave Cible (none without champions);
    ``champions`` loaded from the registry when not given."""
    try:
        scored = score_customers(dataset, as_of, settings, engine, champions)
    except NoChampionError:
        return {}
    return _rows(withhold_profiling(scored, dataset.consents, now))


def customer_records(
    features: pd.DataFrame, scores: dict[str, Record], parts: CustomerParts, as_of: pd.Timestamp
) -> dict[str, Record]:
    """One record per customer of ``features``: its features, champion scores and segments (when models
    exist), its consent state, history and recent sends.

    A customer who has not granted ``profiling`` gets a record with the consent state only (features and
    scores None): the service then answers as for an unknown visitor (non-personal recommendations), and
    nothing in the store could let it personalise by mistake."""
    profiled = parts.profiled
    return {
        cid: {
            "as_of": as_of.isoformat(),
            "features": row if profiled[cid] else None,
            "scores": scores.get(cid) if profiled[cid] else None,
            "consent": parts.consents[cid],
            CONSENT_PROOF: parts.proofs.get(cid, {}),
            "history": parts.histories.get(cid) if profiled[cid] else None,
            "recent_contacts": parts.contacted.get(cid, []),
        }
        for cid, row in _rows(features).items()
    }


def materialize(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    store: OnlineStore,
    engine: BatchEngine | None = None,
    reports: list[Path] | None = None,
) -> int:
    """Every customer's record (features at ``as_of``, scores, consents, history) into ``store`` with the
    events of the last 30 days, and the campaign results and churn-risk reports; the number of records.
    Features and scores come from ``engine`` (default: in memory, from ``dataset``). When ``reports`` is
    given, the page's reports (:func:`features.reports.write_reports`) are written too and their paths
    added to it."""
    now = clock.now()
    engine = engine or InMemoryEngine(dataset)
    events: list[BatchEvent] = []

    def meanwhile() -> None:
        write_campaign_results(dataset, as_of, settings)
        events.extend(recent_events(dataset, as_of))
        if reports is not None:
            reports.extend(write_reports(dataset, as_of, settings, engine.features(as_of)))

    records = store_records(dataset, as_of, settings, store, engine, now, meanwhile=meanwhile)
    store.add_events(events)
    write_churn_risk(records, settings)
    return len(records)


def store_records(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    store: OnlineStore,
    engine: BatchEngine,
    now: pd.Timestamp,
    champions: ScoringChampions | None = None,
    meanwhile: Callable[[], None] = lambda: None,
) -> dict[str, Record]:
    """The records of ``dataset``'s customers (:func:`customer_records`), written to ``store``, with the
    sends reported to the service kept; ``meanwhile`` runs while the champions score. ``champions``:
    the models to score with (default: loaded, in the scoring thread; a partitioned run loads them once)."""
    features = engine.features(as_of).drop(columns=[AS_OF_COLUMN])  # built once, before the thread reads it
    # The champions score in a second thread while this one builds everything else: their predictions and
    # SHAP values are LightGBM's C code, which releases the GIL, so the two use both cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="champion-scores") as pool:
        scoring = pool.submit(champion_scores, dataset, as_of, settings, engine, now, champions)
        meanwhile()
        parts = customer_parts(dataset, as_of, pd.Index(features[c.CUSTOMER_ID]), now)
        scores = scoring.result()
    records = customer_records(features, scores, parts, as_of)
    keep_reported_contacts(records, store, dataset)
    store.put_many(records)
    return records


def write_campaign_results(dataset: Dataset, as_of: pd.Timestamp, settings: Settings) -> Path:
    """``<home>/reports/campaign_results.parquet``: every campaign's result, for the service and its page."""
    return write_campaign_frame(campaign_results(dataset, as_of), settings)


def write_campaign_frame(results: pd.DataFrame, settings: Settings) -> Path:
    path = settings.reports_dir / CAMPAIGN_RESULTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_table(results, path)
    return path


def keep_reported_contacts(records: dict[str, Record], store: OnlineStore, dataset: Dataset) -> None:
    """Sends reported to the service (``POST /contacts``) that the data does not hold yet stay in the new
    records: an export taken before them must not reopen the contact-pressure cap. A contact is its
    customer's row, so ``dataset`` need only hold the rows of ``records``' customers (a partition)."""
    ids = list(records)
    reported: dict[str, dict[str, Any]] = {}
    for start in range(
        0, len(ids), READ_BACK
    ):  # the previous records a batch at a time: whole, they are large
        for cid, old in store.get_many(ids[start : start + READ_BACK]).items():
            if old.get(REPORTED_CONTACTS):
                reported[cid] = old[REPORTED_CONTACTS]
    if not reported:
        return
    # the few reported ids looked up among the contacts, not every contact id made a Python string
    contact_ids = dataset.contacts[c.CONTACT_ID].astype(str)
    wanted = {k for sends in reported.values() for k in sends}
    in_data = set(contact_ids[contact_ids.isin(wanted).to_numpy()])
    for cid, sends in reported.items():
        kept = {k: t for k, t in sends.items() if k not in in_data}
        if kept:
            records[cid][REPORTED_CONTACTS] = kept
