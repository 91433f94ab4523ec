"""``cible materialize`` of a data set loaded one customer partition at a time
(:mod:`features.customer_partitions`): the same store contents and report files as
:func:`training.materialize.materialize` of the whole data set, with the memory of a partition.

- per partition: each customer's record (features, champion scores, consents and proofs, history,
  recent sends, sends reported to the service), written to the store before the next partition is read,
  and the partition's events of the last 30 days (every event is in one partition only);
- the campaign results and KPIs, which compare customers and campaigns across the shop, from every
  partition's share (:mod:`features.campaigns.partitioned`: the sufficient statistics of its picks, its
  counts and sums, of a size independent of its number of customers), merged as they come;
- the segment profiles and the audience frame from every partition's features, put together; the
  churn-risk report from every partition's (segment, band) pairs.

The store is written partition by partition: while it runs, a reader sees some customers' new records
and others' previous ones (each record is whole).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from features import clock
from features.batch_engine import InMemoryEngine
from features.campaigns.partitioned import CampaignShares
from features.customer_features.partitioned import combine_parts
from features.dataset import Dataset
from features.online_store.base import OnlineStore, Record
from features.online_store.history import recent_events
from features.reports import (
    KPI_GROUPS,
    churn_risk_pairs,
    kpi_memberships,
    kpi_since,
    latest_memberships,
    write_churn_risk_counts,
    write_kpi_frame,
    write_segment_reports,
)
from features.settings import Settings
from training.materialize import store_records, write_campaign_frame
from training.predictive.champions import ScoringChampions


def materialize_partitions(
    partitions: Iterable[Dataset],
    as_of: pd.Timestamp,
    settings: Settings,
    store: OnlineStore,
    reports: list[Path] | None = None,
) -> int:
    """Every partition's records into ``store``, the campaign results and churn-risk reports; the number
    of records. When ``reports`` is given the page's reports are written too and their paths added to it."""
    now = clock.now()
    champions = ScoringChampions.load(settings)  # once: every partition scores with the same models
    snapshot = latest_memberships(settings) if reports is not None else None
    shares = (
        CampaignShares(as_of, kpi_since(as_of), list(KPI_GROUPS), kpi_memberships(snapshot))
        if reports is not None
        else CampaignShares(as_of)
    )
    features_of: list[pd.DataFrame] = []  # every partition's, for the segment reports
    pairs: list[tuple[str, str]] = []
    latest = None  # the partitions' latest recent event
    written = 0
    for dataset in partitions:
        # A partition's anonymous visitors' events and guest orders count even if it had no customer.
        events = recent_events(dataset, as_of)
        store.add_events(events)
        if events:
            last = max(events, key=lambda e: e.timestamp)
            latest = last if latest is None or last.timestamp > latest.timestamp else latest
        del events  # Python objects (~1 kB an event): not held while the records are built
        shares.add(dataset)
        if len(dataset.customers):
            records, features = _records(dataset, as_of, settings, store, now, champions)
            pairs += churn_risk_pairs(records)
            written += len(records)
            if snapshot is not None:
                features_of.append(features)
            del records, features
        del dataset
    if latest is not None:
        # A store forgets events older than a month before the latest event of a batch: given again
        # (already held, so not added twice), the latest event of all makes that month the whole data's.
        store.add_events([latest])
    results, kpis = shares.results()
    write_campaign_frame(results, settings)
    if reports is not None and kpis is not None:
        reports.append(write_kpi_frame(kpis, settings))
        if snapshot is not None and features_of:
            features = combine_parts(features_of)
            features_of.clear()  # the pieces are as big as the whole: not held while the reports are written
            reports += write_segment_reports(features, snapshot, settings)
    write_churn_risk_counts(pairs, settings)
    return written


def _records(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    store: OnlineStore,
    now: pd.Timestamp,
    champions: ScoringChampions,
) -> tuple[dict[str, Record], pd.DataFrame]:
    """A partition's customers' records, written to ``store``, and their features."""
    engine = InMemoryEngine(dataset)
    records = store_records(dataset, as_of, settings, store, engine, now, champions)
    return records, engine.features(as_of)
