"""The one place that decides whether Cible may act on a customer for a purpose: every export, list and
decision asks here, so a withdrawal recorded a second ago is respected everywhere at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.customer_features.consent import consent_state

PROFILING = "profiling"
# The ledger purpose a contact channel needs. Channels absent here cannot be targeted from Cible's lists.
CHANNEL_PURPOSE: dict[str, str] = {
    "email": "email_marketing",
    "sms": "sms_marketing",
    "phone": "phone_marketing",
    "ads": "retargeting_ads",
    # App notifications have no purpose of their own in the ledger: the retailer collects them with e-mail
    # marketing (as the synthetic generator does); a separate purpose would be a contract change.
    "push": "email_marketing",
}


@dataclass(frozen=True)
class ConsentCheck:
    allowed: np.ndarray  # one boolean per customer asked about
    refused_purpose: np.ndarray  # the first purpose that blocks each customer, "" where allowed

    def removed_by_purpose(self) -> dict[str, int]:
        purposes, counts = np.unique(self.refused_purpose[~self.allowed], return_counts=True)
        return dict(zip(purposes.tolist(), counts.tolist(), strict=True))


def required_purposes(channel: str | None, needs_profiling: bool) -> list[str]:
    purposes = []
    if channel is not None:
        if channel not in CHANNEL_PURPOSE:
            known = ", ".join(CHANNEL_PURPOSE)
            raise ValueError(f"channel {channel!r} has no consent purpose in the ledger; use one of {known}")
        purposes.append(CHANNEL_PURPOSE[channel])
    if needs_profiling:
        purposes.append(PROFILING)
    return purposes


def refused_purpose(granted: Mapping[str, bool], channel: str | None, needs_profiling: bool = False) -> str:
    """The real-time form of :func:`check_consent` for one customer whose ledger state (purpose -> granted,
    as the online store holds it) is already known: the first purpose that blocks, "" when allowed."""
    for purpose in required_purposes(channel, needs_profiling):
        if not granted.get(purpose, False):  # no record means no consent
            return purpose
    return ""


def live_consent_check(
    states: Mapping[str, Mapping[str, bool] | None],
    customer_ids: Iterable[str],
    channel: str | None = None,
    needs_profiling: bool = False,
) -> ConsentCheck:
    """:func:`check_consent` from the consent states the online store holds now (customer id -> purpose ->
    granted); a customer absent from ``states`` (erased, unknown) is refused on the first purpose needed."""
    purposes = required_purposes(channel, needs_profiling)
    refused = [
        refused_purpose(states[cid] or {}, channel, needs_profiling)
        if cid in states
        else (purposes[0] if purposes else "unknown_customer")
        for cid in customer_ids
    ]
    blocked = np.array(refused, dtype=object)
    return ConsentCheck(allowed=blocked == "", refused_purpose=blocked)


def check_consent(
    consents: pd.DataFrame,
    customer_ids: pd.Series | pd.Index,
    at: pd.Timestamp,
    channel: str | None = None,
    needs_profiling: bool = False,
) -> ConsentCheck:
    """Whether each customer has granted, as of ``at``, every purpose the action needs.

    The latest ledger record before ``at`` decides; no record means no consent.
    """
    ids = pd.Index(customer_ids)
    state = consent_state(consents, ids, pd.Timestamp(at))
    allowed = np.ones(len(ids), dtype=bool)
    refused = np.full(len(ids), "", dtype=object)
    for purpose in required_purposes(channel, needs_profiling):
        granted = state[purpose].to_numpy(dtype=bool)
        refused[allowed & ~granted] = purpose
        allowed &= granted
    return ConsentCheck(allowed=allowed, refused_purpose=refused)
