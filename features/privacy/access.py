"""Right of access: everything Cible holds about one person, in one JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from features import clock
from features import columns as c
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.io import atomic_path
from features.segments.memberships import MembershipStore

PURPOSE_TEXT = (
    "Cible processes customer data to segment customers, predict their needs and choose relevant offers "
    "and contacts, on the basis of the consents listed below; each purpose can be withdrawn at any time."
)


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))


def access_report(
    customer_id: str,
    dataset: Dataset,
    memberships: MembershipStore,
    as_of: pd.Timestamp,
    rectifications: list[dict] | None = None,
) -> dict:
    """Raw rows from every table (with corrections applied), features, segment memberships (with the
    model versions that produced them), consents with their proof, contacts made and the corrections the
    person asked for (``rectifications``: the rectification ledger's entries)."""
    if not (dataset.customers[c.CUSTOMER_ID] == customer_id).any():
        raise KeyError(f"Cible holds no customer {customer_id!r}")
    rows = {}
    for name, frame in dataset.frames().items():
        if c.CUSTOMER_ID in frame:
            rows[name] = _records(frame[frame[c.CUSTOMER_ID] == customer_id])
    visitor_ids = set(dataset.events.loc[dataset.events[c.CUSTOMER_ID] == customer_id, c.VISITOR_ID])
    anonymous = dataset.events[
        dataset.events[c.VISITOR_ID].isin(visitor_ids) & dataset.events[c.CUSTOMER_ID].isna()
    ]
    rows["events"] += _records(anonymous)
    features = build_customer_features(dataset, as_of)
    history = []
    for date in memberships.dates():
        snapshot = memberships.load(date)
        history += _records(snapshot[snapshot[c.CUSTOMER_ID] == customer_id])
    return {
        "customer_id": customer_id,
        "generated_at": clock.now().isoformat(timespec="seconds"),
        "purposes": PURPOSE_TEXT,
        "raw_data": rows,
        "features": _records(features[features[c.CUSTOMER_ID] == customer_id]),
        "segment_memberships": history,
        "consents": rows.get("consents", []),
        "contacts": rows.get("contacts", []),
        "campaign_assignments": rows.get("assignments", []),
        "rectifications": [e for e in rectifications or [] if e[c.CUSTOMER_ID] == customer_id],
    }


def write_access_report(report: dict, out: Path) -> None:
    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
