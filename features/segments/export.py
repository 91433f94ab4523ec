"""CRM exports of a segment or audience: consent-filtered, refused when too small, with a control group."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features import vocab
from features.consent_gate import ConsentCheck, check_consent
from features.dataset import Dataset
from features.errors import CibleError
from features.io import atomic_path
from features.segments.clusters import CLUSTER_NAME
from features.segments.memberships import AS_OF, MODEL_VERSION
from features.segments.rfm import F_SCORE, M_SCORE, R_SCORE, RFM_SEGMENT
from features.segments.value_tiers import VALUE_TIER

FORMATS = ("csv", "parquet", "json")
BASELINE_DAYS = 365  # the orders features.campaigns.sample_size.baseline_conversion reads: the year before


class ExportRefused(CibleError, ValueError):
    """The export would break a rule (too small, unknown format): nothing was written."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    exported: int
    control: int
    removed: dict[str, int] = field(default_factory=dict)
    # the campaign's pick, treated and control, for the assignment ledger (features.campaigns.ledger)
    assignments: pd.DataFrame | None = None


def in_control_group(customer_ids: pd.Series, segment: str, percent: float, seed: int = 0) -> np.ndarray:
    """A reproducible random ``percent`` of customers: a hash of (seed, segment, id), not a random draw, so
    the same campaign re-exported keeps the same control group."""
    if percent <= 0:
        return np.zeros(len(customer_ids), dtype=bool)
    salt = f"{seed}:{segment}:".encode()
    draws = np.array(
        [
            int.from_bytes(hashlib.sha256(salt + str(cid).encode()).digest()[:8], "big") / 2**64
            for cid in customer_ids
        ]
    )
    return draws < percent / 100


def _reason(members: pd.DataFrame) -> list[str]:
    return [
        f"R{r} F{f} M{m} ({seg}); {cluster}; value tier {tier}"
        for r, f, m, seg, cluster, tier in zip(
            members[R_SCORE],
            members[F_SCORE],
            members[M_SCORE],
            members[RFM_SEGMENT],
            members[CLUSTER_NAME],
            members[VALUE_TIER],
            strict=True,
        )
    ]


def export_table(
    members: pd.DataFrame,
    segment: str,
    channel: str,
    check: ConsentCheck,
    control_percent: float = 0.0,
    min_size: int = 50,
    campaign_id: str | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows a CRM gets for ``members`` given their consent ``check`` (from the ledger for a batch
    export, from the online store for the page), and how many each purpose removed.

    Every row carries ``campaign_id`` (default: the segment name) for the CRM to credit sends and orders."""
    kept = members[check.allowed].reset_index(drop=True)
    removed = check.removed_by_purpose()
    if len(kept) < min_size:
        raise ExportRefused(
            f"segment {segment!r} has {len(kept)} customer(s) reachable by {channel} "
            f"({len(members)} members, {sum(removed.values())} without consent), "
            f"under the minimum of {min_size}: too small to act on; nothing was written"
        )
    control = in_control_group(kept[c.CUSTOMER_ID], segment, control_percent)
    table = pd.DataFrame(
        {
            c.CUSTOMER_ID: kept[c.CUSTOMER_ID],
            c.CAMPAIGN_ID: campaign_id or segment,
            "segment": segment,
            "channel": channel,
            "address_key": kept[c.CUSTOMER_ID],
            R_SCORE: kept[R_SCORE],
            F_SCORE: kept[F_SCORE],
            M_SCORE: kept[M_SCORE],
            RFM_SEGMENT: kept[RFM_SEGMENT],
            CLUSTER_NAME: kept[CLUSTER_NAME],
            VALUE_TIER: kept[VALUE_TIER],
            "reason": _reason(kept),
            "control_group": control,
            "run_date": pd.to_datetime(kept[AS_OF]).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "model_version": kept[MODEL_VERSION],
        }
    )
    return table, removed


def assignments_of(table: pd.DataFrame, now: pd.Timestamp, offer_id: str | None = None) -> pd.DataFrame:
    """The campaign's pick in an exported ``table``, treated and control, stamped ``now``, for the
    assignment ledger (features.campaigns.ledger)."""
    return pd.DataFrame(
        {
            c.CAMPAIGN_ID: table[c.CAMPAIGN_ID],
            c.CUSTOMER_ID: table[c.CUSTOMER_ID],
            c.ASSIGNED_AT: now,
            c.GROUP: np.where(table["control_group"], vocab.CONTROL, vocab.TREATED),
            c.CHANNEL: table["channel"],
            c.OFFER_ID: offer_id,
        }
    )


def export_members(
    members: pd.DataFrame,
    segment: str,
    consents: pd.DataFrame,
    channel: str,
    out: Path,
    now: pd.Timestamp,
    needs_profiling: bool = True,
    control_percent: float = 0.0,
    min_size: int = 50,
    fmt: str | None = None,
    campaign_id: str | None = None,
    offer_id: str | None = None,
) -> ExportResult:
    """Write the members allowed on ``channel`` (and to be profiled, when the segment is profile-based);
    the result's ``assignments`` say who is treated and who is held out."""
    fmt = fmt or out.suffix.lstrip(".")
    if fmt not in FORMATS:
        raise ExportRefused(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    check = check_consent(
        consents, members[c.CUSTOMER_ID], now, channel=channel, needs_profiling=needs_profiling
    )
    table, removed = export_table(members, segment, channel, check, control_percent, min_size, campaign_id)
    with atomic_path(out) as tmp:
        if fmt == "csv":
            table.to_csv(tmp, index=False)
        elif fmt == "parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_json(tmp, orient="records", force_ascii=False, indent=1)
    assignments = assignments_of(table, now, offer_id)
    return ExportResult(out, len(table), int(table["control_group"].sum()), removed, assignments)


def member_rows(dataset: Dataset, customer_ids: pd.Series, now: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """All an export reads of ``dataset`` (one customer partition) about the members ``customer_ids``:
    their consent records (the gate) and their orders of the year before ``now`` (the control group's
    baseline conversion), one row per order as the baseline counts them."""
    consents = dataset.consents[dataset.consents[c.CUSTOMER_ID].isin(customer_ids)]
    orders = dataset.orders
    orders = orders[
        orders[c.CUSTOMER_ID].isin(customer_ids)
        & (orders[c.ORDERED_AT] >= now - pd.Timedelta(days=BASELINE_DAYS))
        & (orders[c.ORDERED_AT] < now)
        & (orders[c.QUANTITY] > 0)
    ].drop_duplicates(c.ORDER_ID)
    return {"consents": consents, "orders": orders}


def members_data(pieces: list[dict[str, pd.DataFrame]]) -> Dataset:
    """The members' rows of every partition (:func:`member_rows`) as one data set: each customer's rows
    come from one partition, in their order, so the consent gate and the baseline read what they would
    read in the whole data set."""
    return Dataset.from_frames(
        {
            name: pd.concat([piece[name] for piece in pieces], ignore_index=True)
            for name in ("consents", "orders")
        }
    )
