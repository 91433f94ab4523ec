"""The consent ledger: a choice per purpose when the customer signs up, then perhaps one change.

Grant rates depend on how the customer came (a web form asks differently from an adviser on the
phone) and on age (seniors accept calls, refuse SMS and ads). The same state answers "may we contact
this customer on this channel at this time?" for the campaign stages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features import vocab
from features.synth.calendar import DAY
from features.synth.ids import NEVER, concat, dates, lookup, prefixed_ids, seconds_of
from features.synth.population import YEAR, Population

PURPOSES = vocab.CONSENT_PURPOSES
# Purpose a contact channel needs, in vocab.CONTACT_CHANNELS order.
CHANNEL_PURPOSE = {
    "email": "email_marketing",
    "sms": "sms_marketing",
    "phone": "phone_marketing",
    "mail": "email_marketing",
    "push": "email_marketing",
    "ads": "retargeting_ads",
}
# Consent source of the sign-up, by acquisition channel (vocab.ACQUISITION_CHANNELS).
SIGNUP_SOURCE = {
    "web": "web_form",
    "app": "app",
    "phone": "phone_call",
    "catalogue": "mail",
    "store": "store",
    "delivery": "mail",  # a slip signed with the delivery round
    "partner": "import",
    "event": "mail",  # paper coupons filled in at fairs
}
# Grant probability per sign-up source (rows: web_form, app, phone_call, store, mail, email_link, import)
# and purpose (PURPOSES order). Roughly 20% refuse profiling and half refuse SMS.
GRANT = np.array(
    [
        [0.80, 0.56, 0.15, 0.62, 0.81],
        [0.78, 0.60, 0.12, 0.66, 0.81],
        [0.55, 0.40, 0.78, 0.25, 0.78],
        [0.65, 0.60, 0.35, 0.35, 0.83],
        [0.60, 0.43, 0.60, 0.25, 0.79],
        [0.80, 0.50, 0.20, 0.50, 0.81],
        [0.70, 0.45, 0.30, 0.45, 0.79],
    ]
)
SENIOR_FACTOR = np.array([1.0, 0.7, 1.25, 0.6, 1.0])
YOUNG_FACTOR = np.array([1.0, 1.1, 0.6, 1.05, 0.95])
WITHDRAW_PER_YEAR = np.array([0.10, 0.10, 0.10, 0.12, 0.02])
LATE_GRANT_PER_YEAR = np.array([0.06, 0.05, 0.05, 0.05, 0.05])
# Where a later change is made, per purpose: unsubscribe links for e-mail, preference pages otherwise.
CHANGE_SOURCE = ("email_link", "web_form", "phone_call", "web_form", "web_form")
FORM_VERSIONS = ("2022-01-01", "2025-01-01")  # v1 before, v2 between, v3 after


@dataclass(frozen=True)
class Consents:
    signup_at: np.ndarray  # (n, purposes) epoch seconds
    signup_granted: np.ndarray  # (n, purposes)
    changed_at: np.ndarray  # NEVER when the choice never changed
    signup_source: np.ndarray  # (n,) index into vocab.CONSENT_SOURCES

    def granted_at(self, customer: np.ndarray, channel: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether a contact on ``channel`` (index into vocab.CONTACT_CHANNELS) may be sent at ``t``.

        A record stamped exactly at ``t`` must agree with the one before it, so the answer holds
        whether the reader counts it or not.
        """
        purpose = channel_purpose()[channel]
        t0, t1 = self.signup_at[customer, purpose], self.changed_at[customer, purpose]
        g0 = self.signup_granted[customer, purpose]
        before = np.where(t > t1, ~g0, np.where(t > t0, g0, False))
        at_or_before = np.where(t >= t1, ~g0, np.where(t >= t0, g0, False))
        return before & at_or_before


def channel_purpose() -> np.ndarray:
    return np.array([PURPOSES.index(CHANNEL_PURPOSE[ch]) for ch in vocab.CONTACT_CHANNELS])


def build_consents(rng: np.random.Generator, pop: Population, end: int) -> Consents:
    n, k = pop.n, len(PURPOSES)
    source_of = np.array([vocab.CONSENT_SOURCES.index(SIGNUP_SOURCE[a]) for a in vocab.ACQUISITION_CHANNELS])
    source = source_of[pop.acquisition]
    p = GRANT[source]
    p = np.where(pop.is_senior[:, None], p * SENIOR_FACTOR, p)
    p = np.where((pop.birth_year >= 1985)[:, None], p * YOUNG_FACTOR, p)
    granted = rng.random((n, k)) < np.clip(p, 0.02, 0.97)
    signup_at = np.minimum(pop.created_at[:, None] + rng.integers(0, 120, (n, k)), end - 1)
    hazard = np.where(granted, WITHDRAW_PER_YEAR, LATE_GRANT_PER_YEAR)
    changed = signup_at + DAY + (rng.exponential(1.0, (n, k)) / hazard * YEAR).astype(np.int64)
    return Consents(
        signup_at=signup_at,
        signup_granted=granted,
        changed_at=np.where(changed < end, changed, NEVER),
        signup_source=source,
    )


@dataclass(frozen=True)
class LedgerRows:
    customer: np.ndarray
    purpose: np.ndarray
    granted: np.ndarray
    recorded_at: np.ndarray
    source: np.ndarray  # index into vocab.CONSENT_SOURCES
    proof: pa.Array


def ledger_rows(rng: np.random.Generator, consents: Consents) -> LedgerRows:
    """The sign-up record of every (customer, purpose) and the later change where there is one."""
    n, k = consents.signup_at.shape
    customer = np.repeat(np.arange(n), k)
    purpose = np.tile(np.arange(k), n)
    changed = consents.changed_at.ravel() < NEVER
    change_source = np.array([vocab.CONSENT_SOURCES.index(s) for s in CHANGE_SOURCE])[purpose[changed]]
    # Half of the changes go through the customer's usual route (an adviser, a shop), unless imported.
    home = consents.signup_source[customer[changed]]
    use_home = (rng.random(changed.sum()) < 0.5) & (home != vocab.CONSENT_SOURCES.index("import"))
    rows = LedgerRows(
        customer=np.concatenate([customer, customer[changed]]),
        purpose=np.concatenate([purpose, purpose[changed]]),
        granted=np.concatenate([consents.signup_granted.ravel(), ~consents.signup_granted.ravel()[changed]]),
        recorded_at=np.concatenate([consents.signup_at.ravel(), consents.changed_at.ravel()[changed]]),
        source=np.concatenate(
            [np.repeat(consents.signup_source, k), np.where(use_home, home, change_source)]
        ),
        proof=pa.array([], type=pa.large_string()),
    )
    order = np.lexsort((rows.purpose, rows.customer, rows.recorded_at))
    customer, purpose, granted, recorded_at, source = (
        a[order] for a in (rows.customer, rows.purpose, rows.granted, rows.recorded_at, rows.source)
    )
    return LedgerRows(
        customer, purpose, granted, recorded_at, source, _proofs(rng, granted, recorded_at, source)
    )


def _proofs(rng: np.random.Generator, granted: np.ndarray, at: np.ndarray, source: np.ndarray) -> pa.Array:
    """Evidence of each record: form version and date, call recording, signed slip... Null for a refusal
    except an unsubscribe, which leaves its link token."""
    n = granted.size
    version = 1 + sum((at >= seconds_of(v)).astype(np.int64) for v in FORM_VERSIONS)
    number = rng.integers(0, 10**7, n)
    keep = granted | (source == vocab.CONSENT_SOURCES.index("email_link"))
    templates = {
        "web_form": lambda i: concat("form:v", pc.cast(pa.array(version[i]), pa.string()), ":", dates(at[i])),
        "app": lambda i: concat(
            "app:consent-v", pc.cast(pa.array(version[i]), pa.string()), ":", dates(at[i])
        ),
        "phone_call": lambda i: concat("call-rec:", prefixed_ids("", number[i], 7)),
        "store": lambda i: concat("slip:", prefixed_ids("", number[i], 7)),
        "mail": lambda i: concat("coupon:", prefixed_ids("", number[i], 7)),
        "email_link": lambda i: concat(
            pa.array(np.where(granted[i], "optin:", "unsub:")), prefixed_ids("", number[i], 7)
        ),
        "import": lambda i: concat("import:batch-", dates(at[i])),
    }
    rows, texts = [], []
    for name, template in templates.items():  # seven sources, not a loop over rows
        idx = np.flatnonzero(keep & (source == vocab.CONSENT_SOURCES.index(name)))
        rows.append(idx)
        texts.append(template(idx).cast(pa.large_string()))
    position = np.full(n, -1)
    position[np.concatenate(rows)] = np.arange(sum(r.size for r in rows))
    return lookup(pa.concat_arrays(texts), position)
