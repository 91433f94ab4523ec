"""Churn risk bands: what a marketer reads instead of a probability.

Thresholds on the *calibrated* probability of no order in the churn horizon (90 days by default), so a
band means the same thing whatever model is champion: "high" = more likely than not to be gone, "low" =
fewer than one in four. Customers who never ordered cannot churn and are banded as prospects.
"""

from __future__ import annotations

import numpy as np

CHURN_RISK_BAND = "churn_risk_band"  # the column (and record key) holding the band
LOW, MEDIUM, HIGH, PROSPECT = "low", "medium", "high", "prospect"
RISK_BANDS: tuple[str, ...] = (LOW, MEDIUM, HIGH)
MEDIUM_FROM = 0.25  # P(churn) at or above this is medium risk
HIGH_FROM = 0.50  # P(churn) at or above this is high risk


def risk_band(probability: np.ndarray) -> np.ndarray:
    """``low`` below :data:`MEDIUM_FROM`, ``high`` from :data:`HIGH_FROM`, ``medium`` between; NaN ->
    ``prospect`` (no order yet, no churn risk to speak of)."""
    p = np.asarray(probability, dtype=np.float64)
    band = np.where(p >= HIGH_FROM, HIGH, np.where(p >= MEDIUM_FROM, MEDIUM, LOW)).astype(object)
    band[np.isnan(p)] = PROSPECT
    return band
