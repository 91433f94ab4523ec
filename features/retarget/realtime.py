"""One customer's follow-up decision for the service, in plain Python (no pandas; microseconds).

The same rules as the batch lists (:mod:`features.retarget.decide`): consent first (through
:func:`features.consent_gate.refused_purpose`), then the contact-pressure cap, then the best expected
value among the consented primary channels, then the trigger's delay and quiet hours for the send time.
Without a contacts history at hand, each channel's response is its configured base rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from features.consent_gate import refused_purpose
from features.retarget.config import CART, RetargetConfig
from features.retarget.decide import CONTACT, NO_CONSENT, NOT_WORTH_IT, PRESSURE_CAP
from features.retarget.timing import next_allowed


@dataclass(frozen=True)
class FollowUp:
    allowed: bool
    reason: str  # "contact", "no_consent", "pressure_cap" or "not_worth_it"
    channel: str | None  # the chosen channel when allowed
    send_at: datetime | None  # when allowed: after the trigger's delay, outside quiet hours
    expected_value: float = 0.0  # EUR of the chosen contact
    detail: str = ""  # one line for people (logs, the CRM)


def follow_up(
    intent: float,
    consent: Mapping[str, bool],
    contacts_last_7d: int,
    value: float | None,
    now: datetime,
    config: RetargetConfig,
    *,
    trigger: str = CART,
) -> FollowUp:
    """Whether and how to follow a visitor up now.

    ``intent``: P(purchase within 7 days); ``consent``: the ledger state per purpose (as the online store
    holds it; a missing purpose is not granted); ``contacts_last_7d``: contacts in the pressure window;
    ``value``: the order at stake in EUR (cart value or usual basket; None for the default);
    ``trigger``: whose delay applies (cart abandonment by default).
    """
    consented = [
        ch for ch in config.primary_channels if not refused_purpose(consent, ch, needs_profiling=True)
    ]
    if not consented:
        blocking = refused_purpose(consent, None, needs_profiling=True) or "every channel's purpose"
        return FollowUp(False, NO_CONSENT, None, None, detail=f"no consent ({blocking})")
    cap = config.pressure
    if contacts_last_7d >= cap.max_contacts:
        return FollowUp(
            False,
            PRESSURE_CAP,
            None,
            None,
            detail=f"{contacts_last_7d} contacts in {cap.days} days (cap {cap.max_contacts})",
        )
    margin = (config.default_order_value if value is None else value) * config.margin_rate
    best, best_ev = consented[0], float("-inf")
    for ch in consented:
        spec = config.channels[ch]
        conversion = min(1.0, spec.response * intent / config.reference_probability)
        ev = conversion * margin - spec.cost
        if ev > best_ev:
            best, best_ev = ch, ev
    if best_ev < config.min_expected_value:
        return FollowUp(
            False,
            NOT_WORTH_IT,
            None,
            None,
            best_ev,
            f"best {best} {best_ev:.2f} EUR < {config.min_expected_value:.2f}",
        )
    delay = config.triggers[trigger].after_hours if trigger in config.triggers else 0.0
    send_at = next_allowed(now + timedelta(hours=delay), config.quiet_hours)
    return FollowUp(True, CONTACT, best, send_at, best_ev, f"{best}: expected {best_ev:.2f} EUR")
