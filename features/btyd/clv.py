"""Customer lifetime value over a finite horizon: expected purchases x expected spend, discounted.

Fader, Hardie & Lee (2005, "RFM and CLV", section "Adding monetary value") value a customer
as E[purchases] x E[spend per purchase], which is right because the Gamma-Gamma model assumes spend
independent of the purchase process. Discounting needs the *timing* of the expected purchases: the
horizon is cut into periods, the purchases expected in period k are the difference of the conditional
expectation at its two ends, and they are discounted by (1 + rate)^-k (period ends; the convention of
``lifetimes``' ``customer_lifetime_value``). Any transaction model with ``conditional_expected_purchases``
(BG/NBD, MBG/NBD) fits.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from features.btyd.gamma_gamma import GammaGamma


class PurchaseModel(Protocol):
    def conditional_expected_purchases(
        self, t: object, frequency: object, recency: object, T: object
    ) -> np.ndarray: ...


def customer_lifetime_value(
    purchases: PurchaseModel,
    spend: GammaGamma,
    frequency: object,
    recency: object,
    T: object,
    monetary_value: object,
    horizon: float,
    period: float | None = None,
    discount_rate: float = 0.0,
    margin: float = 1.0,
) -> np.ndarray:
    """Expected (discounted) value of each customer's purchases in (T, T + horizon].

    ``horizon`` and ``period`` are in the time unit the models were fitted in (e.g. 52 and 4.33 weeks
    for a year by month); ``discount_rate`` is per period (e.g. 0.01 a month); ``margin`` turns spend
    into profit (1 = revenue). Without a discount rate the value is simply E[purchases in the horizon]
    x E[spend] x margin, and ``period`` is not needed.
    """
    if horizon <= 0:
        raise ValueError(f"horizon must be > 0, got {horizon}")
    if discount_rate < 0:
        raise ValueError(f"discount_rate must be >= 0, got {discount_rate}")
    unit_value = margin * spend.conditional_expected_average_spend(frequency, monetary_value)
    if discount_rate == 0:
        expected = purchases.conditional_expected_purchases(horizon, frequency, recency, T)
        return expected * unit_value
    if period is None or period <= 0:
        raise ValueError("a discount rate needs a positive period length (in model time units)")
    # Period ends: period, 2 period, ..., and the horizon itself (a last, shorter period if need be);
    # a partial period is discounted pro rata, (1 + rate)^-(end / period).
    ends = np.arange(1, int(np.ceil(horizon / period - 1e-9)) + 1, dtype=np.float64) * period
    ends[-1] = horizon
    value = np.zeros_like(np.asarray(unit_value, dtype=np.float64))
    before = 0.0
    for end in ends:  # one vectorised call per period, not per customer
        cumulative = purchases.conditional_expected_purchases(end, frequency, recency, T)
        value = value + (cumulative - before) / (1.0 + discount_rate) ** (end / period)
        before = cumulative
    return value * unit_value
