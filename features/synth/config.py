"""Size, seed and calibration of the synthetic retailer.

The calibration targets are public figures of French fine-food retail; everything else in the model
is tuned around them (see the package docstring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import vocab

# Average net order value (panier moyen) per order channel, EUR incl. VAT. Web and phone are the public
# figures the data set is calibrated to; the others are plausible values around them.
WEB_BASKET_EUR = 121.0
PHONE_BASKET_EUR = 63.0
APP_BASKET_EUR = 96.0
CATALOGUE_BASKET_EUR = 84.0
STORE_BASKET_EUR = 44.0
DELIVERY_BASKET_EUR = 72.0

# Share of customers whose record predates the simulated period (they arrive with no history in it).
PRE_PERIOD_SHARE = 0.35
# Visits a month by strangers the shop never identifies, per customer record.
ANONYMOUS_VISITS_PER_CUSTOMER_MONTH = 0.6
# Share of those visits ending in a guest checkout.
GUEST_CHECKOUT_RATE = 0.008
# Share of orders with a (partial) return.
RETURN_RATE = 0.03

DEFAULT_END = pd.Timestamp("2026-11-01")


@dataclass(frozen=True)
class SynthConfig:
    """What to generate. The same config always yields the same bytes."""

    customers: int = 20_000
    months: int = 24
    seed: int = 42
    # Exclusive end of the simulated period; fixed (not "now") so a seed is reproducible.
    end: pd.Timestamp = DEFAULT_END
    pre_period_share: float = PRE_PERIOD_SHARE
    anonymous_visits_per_customer_month: float = ANONYMOUS_VISITS_PER_CUSTOMER_MONTH
    guest_checkout_rate: float = GUEST_CHECKOUT_RATE
    return_rate: float = RETURN_RATE
    web_basket: float = WEB_BASKET_EUR
    phone_basket: float = PHONE_BASKET_EUR

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError("customers must be at least 1")
        if self.months < 1:
            raise ValueError("months must be at least 1")
        if not 0.0 <= self.pre_period_share < 1.0:
            raise ValueError("pre_period_share must be in [0, 1)")

    @property
    def start(self) -> pd.Timestamp:
        """Inclusive start of the simulated period."""
        return pd.Timestamp(self.end) - pd.DateOffset(months=self.months)

    def basket_targets(self) -> np.ndarray:
        """Target mean net order value per order channel, in ``vocab.ORDER_CHANNELS`` order."""
        by_channel = {
            "web": self.web_basket,
            "app": APP_BASKET_EUR,
            "phone": self.phone_basket,
            "catalogue": CATALOGUE_BASKET_EUR,
            "store": STORE_BASKET_EUR,
            "delivery": DELIVERY_BASKET_EUR,
        }
        return np.array([by_channel[ch] for ch in vocab.ORDER_CHANNELS])
