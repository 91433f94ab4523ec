"""Which channel, whether at all, and when: the batch decision over triggered customers.

Expected value of a contact on channel ``ch``: P(convert | ch) x margin - cost(ch). P(convert | ch) is the
customer's smoothed rate of ordering after a contact on that channel (measured on ordinary campaign
contacts, whose customers buy at about ``reference_probability``) scaled by how much likelier to buy this
customer is now: response x P(buy) / reference, capped at 1. P(buy) is the trigger's weekly probability
(intent, or the purchase propensity brought to a week); the margin is the customer's usual order value x
the margin rate.

Consent is the gate (channel purpose and profiling: the choice rests on behavioural scores), then the
contact-pressure cap across channels, then the minimum expected value. Each customer gets the best
primary channel; additive channels (the ads audience) come on top when they are worth it too and the cap
leaves room for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.consent_gate import ConsentCheck
from features.retarget.config import RetargetConfig
from features.retarget.timing import next_allowed_series
from features.retarget.triggers import DUE_AT

CHANNEL = "channel"
EXPECTED_VALUE = "expected_value"
CONVERSION = "conversion_probability"
SEND_AT = "send_at"
STATUS = "status"
CONTACT = "contact"
NO_CONSENT = "no_consent"
PRESSURE_CAP = "pressure_cap"
NOT_WORTH_IT = "not_worth_it"
RECENT_CONTACTS = "recent_contacts"


@dataclass(frozen=True)
class Decisions:
    frame: pd.DataFrame  # candidates + channel ("" if none), expected value, send_at, status
    additive: dict[str, np.ndarray]  # additive channel -> included (bool per candidate row)
    left_out: dict[str, dict[str, object]]  # channel -> counts left out for consent and pressure


def conversion_probability(
    probability: np.ndarray, response: np.ndarray, config: RetargetConfig
) -> np.ndarray:
    """customers x channels: P(an order follows the contact), see the module doc."""
    return np.minimum(1.0, response * probability[:, None] / config.reference_probability)


def expected_values(conversion: np.ndarray, order_value: np.ndarray, config: RetargetConfig) -> np.ndarray:
    """customers x channels (``config.channel_names`` order), EUR."""
    value = np.where(np.isnan(order_value), config.default_order_value, order_value) * config.margin_rate
    cost = np.array([config.channels[ch].cost for ch in config.channel_names])
    return conversion * value[:, None] - cost[None, :]


def _consent_counts(check: ConsentCheck, rows: np.ndarray) -> dict[str, int]:
    refused = check.refused_purpose[rows & ~check.allowed]
    purposes, counts = np.unique(refused.astype(str), return_counts=True)
    return dict(zip(purposes.tolist(), counts.tolist(), strict=True))


def decide(
    candidates: pd.DataFrame,
    consent: dict[str, ConsentCheck],
    response: np.ndarray,
    recent: np.ndarray,
    order_value: np.ndarray,
    as_of: pd.Timestamp,
    config: RetargetConfig,
    incremental: np.ndarray | None = None,
    incremental_share: float = 0.0,
) -> Decisions:
    """``consent``: channel -> the gate's answer for the candidates (in row order); ``response``:
    candidates x ``config.channel_names``; ``recent``: contacts in the pressure window before ``as_of``.

    ``incremental`` (candidates x channels, from the uplift champion; NaN for a channel no control group
    tested) replaces the conversion probability by the *incremental* one, so the expected value is the
    margin a contact adds; untested channels get the conversion x ``incremental_share``."""
    names = config.channel_names
    conversion = conversion_probability(candidates["probability"].to_numpy(dtype=float), response, config)
    if incremental is not None:
        conversion = np.where(np.isnan(incremental), conversion * incremental_share, incremental)
    ev = expected_values(conversion, order_value, config)
    worth = ev >= config.min_expected_value
    allowed = np.column_stack([consent[ch].allowed for ch in names]) if len(names) else worth
    primary = np.array([ch in config.primary_channels for ch in names])
    usable = np.where(allowed & worth & primary[None, :], ev, -np.inf)
    best = np.argmax(usable, axis=1) if len(candidates) else np.zeros(0, dtype=int)
    has_best = np.isfinite(usable[np.arange(len(candidates)), best]) if len(candidates) else best.astype(bool)
    capped = recent >= config.pressure.max_contacts
    # why a customer gets no primary contact: consent first (the gate), then the cap, then the value
    any_worth = (worth & primary[None, :]).any(axis=1)
    status = np.where(
        has_best & ~capped,
        CONTACT,
        np.where(has_best, PRESSURE_CAP, np.where(any_worth, NO_CONSENT, NOT_WORTH_IT)),
    )
    channel = np.where(has_best & ~capped, np.array(names, dtype=object)[best], "")
    frame = candidates.copy()
    frame[CHANNEL] = channel
    frame[EXPECTED_VALUE] = np.where(has_best, usable[np.arange(len(candidates)), best], np.nan)
    frame[CONVERSION] = np.where(has_best, conversion[np.arange(len(candidates)), best], np.nan)
    frame[STATUS] = status
    frame[RECENT_CONTACTS] = recent
    due = pd.to_datetime(frame[DUE_AT]).clip(lower=as_of)
    frame[SEND_AT] = next_allowed_series(due, config.quiet_hours)

    additive: dict[str, np.ndarray] = {}
    used = recent + (status == CONTACT)
    left_out: dict[str, dict[str, object]] = {}
    for j, ch in enumerate(names):
        wanted = worth[:, j]
        if primary[j]:
            blocked_by_cap = (status == PRESSURE_CAP) & (best == j)
        else:
            room = used < config.pressure.max_contacts
            additive[ch] = wanted & allowed[:, j] & room
            blocked_by_cap = wanted & allowed[:, j] & ~room
        left_out[ch] = {
            "no_consent": int((wanted & ~allowed[:, j]).sum()),
            "no_consent_by_purpose": _consent_counts(consent[ch], wanted),
            "pressure_cap": int(blocked_by_cap.sum()),
        }
    return Decisions(frame=frame.reset_index(drop=True), additive=additive, left_out=left_out)
