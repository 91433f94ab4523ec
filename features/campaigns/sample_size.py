"""How large a control group must be: the two-proportion z-test (two-sided), planned before an export.

With ``n`` customers split into treated ``(1 - s) n`` and control ``s n``, a baseline conversion ``p0`` and
an absolute lift ``d`` (``p1 = p0 + d``), the test at level ``alpha`` has the wanted ``power`` when
``d >= (z_(1-alpha/2) + z_power) sqrt(p1 (1 - p1) / ((1 - s) n) + p0 (1 - p0) / (s n))``. The planner
returns the smallest share ``s`` (in steps of half a percent, at most ``MAX_SHARE``) that meets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset

MAX_SHARE = 0.5
STEP = 0.005


@dataclass(frozen=True)
class ControlPlan:
    audience: int
    baseline: float
    lift: float
    share: float | None  # None: not detectable even with MAX_SHARE held out
    detectable_at_max: float  # the lift detectable with MAX_SHARE held out

    @property
    def control(self) -> int:
        return round((self.share or 0.0) * self.audience)


def _z(alpha: float, power: float) -> float:
    normal = NormalDist()
    return normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)


def detectable_lift(
    audience: int, baseline: float, share: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """The smallest absolute lift the split detects (solved by bisection: p1 moves with the lift)."""
    if audience <= 0 or not 0 < share < 1:
        return float("inf")
    z = _z(alpha, power)
    n1, n0 = (1 - share) * audience, share * audience

    def enough(d: float) -> bool:
        p1 = min(baseline + d, 1.0)
        return d >= z * np.sqrt(p1 * (1 - p1) / n1 + baseline * (1 - baseline) / n0)

    lo, hi = 0.0, 1.0 - baseline
    if not enough(hi):
        return float("inf")
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return hi


def plan_control(
    audience: int, baseline: float, lift: float, alpha: float = 0.05, power: float = 0.8
) -> ControlPlan:
    """The smallest control share detecting ``lift`` over ``baseline`` (see the module docstring)."""
    z = _z(alpha, power)
    p1 = min(baseline + lift, 1.0)
    share = None
    for s in np.arange(STEP, MAX_SHARE + STEP / 2, STEP):
        se = np.sqrt(p1 * (1 - p1) / ((1 - s) * audience) + baseline * (1 - baseline) / (s * audience))
        if audience > 0 and lift >= z * se:
            share = float(round(s, 4))
            break
    return ControlPlan(
        audience, baseline, lift, share, detectable_lift(audience, baseline, MAX_SHARE, alpha, power)
    )


def baseline_conversion(dataset: Dataset, customer_ids: pd.Series, as_of: pd.Timestamp, days: int) -> float:
    """Expected share of ``customer_ids`` ordering within ``days`` without a campaign: each customer's
    order rate over the year before ``as_of`` (orders / 365 days) as a Poisson rate,
    ``mean(1 - exp(-rate x days))``."""
    orders = dataset.orders
    recent = orders[
        (orders[c.ORDERED_AT] >= as_of - pd.Timedelta(days=365))
        & (orders[c.ORDERED_AT] < as_of)
        & (orders[c.QUANTITY] > 0)
    ]
    counts = recent.drop_duplicates(c.ORDER_ID)[c.CUSTOMER_ID].value_counts()
    rate = counts.reindex(pd.Index(customer_ids)).fillna(0).to_numpy(dtype=float) / 365.0
    return float(np.mean(1 - np.exp(-rate * days))) if len(rate) else 0.0
