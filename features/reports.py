"""Small report files under ``<CIBLE_HOME>/reports/``, written by ``cible materialize`` so that the service
and its page read aggregates and one prepared frame, never the raw data, per request.

- ``kpis.parquet``: KPIs by channel x RFM segment x month over the two years before the cut-off;
- ``segment_profiles.parquet``: one row per segment of each kind (size, revenue share, basket per channel,
  top categories, consent reach at the cut-off);
- ``churn_risk.parquet``: profiled customers per RFM segment and churn-risk band at the cut-off;
- ``audience_frame.parquet``: features and memberships per customer, what audience rules are evaluated on
  (consent is read live from the online store by the service, not from this file).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from features import columns as c
from features.campaigns.kpis import SEGMENT, UNASSIGNED, channel_kpis
from features.customer_features.build import AS_OF_COLUMN, build_customer_features
from features.dataset import Dataset
from features.io import atomic_path
from features.predictive.bands import CHURN_RISK_BAND, RISK_BANDS
from features.segments.audience_store import rule_frame
from features.segments.memberships import SEGMENT_COLUMNS, MembershipStore
from features.segments.profile import profile_columns, segment_profile
from features.segments.rfm import RFM_SEGMENT
from features.settings import Settings

KPIS = "kpis.parquet"
SEGMENT_PROFILES = "segment_profiles.parquet"
AUDIENCE_FRAME = "audience_frame.parquet"
CHURN_RISK = "churn_risk.parquet"
CUSTOMERS = "customers"
KIND = "kind"
KPI_MONTHS = 24
KPI_GROUPS = (c.CHANNEL, SEGMENT, "month")


def reports_dir(settings: Settings) -> Path:
    return settings.reports_dir


def _write(frame: pd.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return path


def kpi_report(dataset: Dataset, as_of: pd.Timestamp, snapshot: pd.DataFrame | None) -> pd.DataFrame:
    """KPIs by channel, RFM segment and month over the ``KPI_MONTHS`` months before ``as_of``."""
    return channel_kpis(
        dataset, kpi_since(as_of), as_of, by=KPI_GROUPS, memberships=kpi_memberships(snapshot)
    )


def kpi_since(as_of: pd.Timestamp) -> pd.Timestamp:
    return (as_of - pd.DateOffset(months=KPI_MONTHS)).normalize().replace(day=1)


def kpi_memberships(snapshot: pd.DataFrame | None) -> pd.DataFrame | None:
    """Each customer's RFM segment, what the KPIs are grouped by."""
    if snapshot is None:
        return None
    return pd.DataFrame({c.CUSTOMER_ID: snapshot[c.CUSTOMER_ID], SEGMENT: snapshot[RFM_SEGMENT]})


def segment_profiles(features: pd.DataFrame, snapshot: pd.DataFrame) -> pd.DataFrame:
    """Every segment of every kind, one row each, with ``kind`` and ``segment`` columns."""
    read = features[[c.CUSTOMER_ID, *profile_columns(features.columns)]]  # not a copy of every feature
    merged = read.merge(snapshot[[c.CUSTOMER_ID, *SEGMENT_COLUMNS]], on=c.CUSTOMER_ID, how="inner")
    parts = [
        segment_profile(merged, merged, kind).rename(columns={kind: SEGMENT}).assign(**{KIND: kind})
        for kind in SEGMENT_COLUMNS
    ]
    out = pd.concat(parts, ignore_index=True)
    out[SEGMENT] = out[SEGMENT].astype(str)
    return out[[KIND, SEGMENT, *[col for col in out.columns if col not in (KIND, SEGMENT)]]]


def write_reports(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    features: pd.DataFrame | None = None,
) -> list[Path]:
    """The report files; ``features`` (every customer's at ``as_of``) are built when not given."""
    snapshot = latest_memberships(settings)
    written = [write_kpis(dataset, as_of, settings, snapshot)]
    if snapshot is not None:
        if features is None:
            features = build_customer_features(dataset, as_of)
        written += write_segment_reports(features, snapshot, settings)
    return written


def latest_memberships(settings: Settings) -> pd.DataFrame | None:
    """The latest stored segment memberships (None: segments never assigned)."""
    store = MembershipStore(settings.segments_dir)
    return store.load() if store.dates() else None


def write_kpis(
    dataset: Dataset, as_of: pd.Timestamp, settings: Settings, snapshot: pd.DataFrame | None
) -> Path:
    return write_kpi_frame(kpi_report(dataset, as_of, snapshot), settings)


def write_kpi_frame(kpis: pd.DataFrame, settings: Settings) -> Path:
    """``kpis.parquet``."""
    return _write(kpis, reports_dir(settings) / KPIS)


def write_segment_reports(features: pd.DataFrame, snapshot: pd.DataFrame, settings: Settings) -> list[Path]:
    """``segment_profiles.parquet`` and ``audience_frame.parquet`` of every customer's ``features``."""
    folder = reports_dir(settings)
    features = features.drop(columns=[AS_OF_COLUMN])
    return [
        _write(segment_profiles(features, snapshot), folder / SEGMENT_PROFILES),
        _write(rule_frame(features, snapshot), folder / AUDIENCE_FRAME),
    ]


def churn_risk_pairs(records: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(RFM segment, churn-risk band) of each record with scores: what :func:`churn_risk_report` counts
    (records materialised in parts give their pairs in parts)."""
    return [
        (str(scores.get(RFM_SEGMENT) or UNASSIGNED), str(scores[CHURN_RISK_BAND]))
        for record in records.values()
        if (scores := record.get("scores")) and scores.get(CHURN_RISK_BAND) in RISK_BANDS
    ]


def churn_risk_report(records: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Customers per RFM segment and churn-risk band, from the online-store records (only customers with
    scores: profiled, and a churn champion in place); every band of :data:`RISK_BANDS` is present."""
    return churn_risk_counts(churn_risk_pairs(records))


def churn_risk_counts(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(pairs, columns=[SEGMENT, CHURN_RISK_BAND])
    counts = frame.groupby([SEGMENT, CHURN_RISK_BAND]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(RISK_BANDS), fill_value=0)
    return counts.stack().rename(CUSTOMERS).astype("int64").reset_index()


def write_churn_risk(records: Mapping[str, Mapping[str, Any]], settings: Settings) -> Path:
    return write_churn_risk_counts(churn_risk_pairs(records), settings)


def write_churn_risk_counts(pairs: list[tuple[str, str]], settings: Settings) -> Path:
    path = reports_dir(settings) / CHURN_RISK
    path.parent.mkdir(parents=True, exist_ok=True)
    return _write(churn_risk_counts(pairs), path)
