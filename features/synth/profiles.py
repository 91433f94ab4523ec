"""The hidden customer types and the parameters each one draws its customers from.

A type sets the mean of every trait; customers scatter around it (Dirichlet mixes, gamma rates,
log-normal multipliers), so types overlap yet stay recoverable from behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

# Product categories, in the order of every per-category array of the generator.
CATEGORIES: tuple[str, ...] = (
    "wines",
    "cheese",
    "charcuterie",
    "epicerie_fine",
    "fruits_legumes",
    "gift_boxes",
    "coffee_tea",
    "sweets",
)


@dataclass(frozen=True)
class TypeProfile:
    name: str
    share: float  # of all customers
    pre_period_tilt: float  # relative odds of predating the period (seniors and lapsers are old hands)
    birth_mean: float
    birth_sd: float
    channel_mix: tuple[float, ...]  # order channels, vocab.ORDER_CHANNELS order
    category_mix: tuple[float, ...]  # CATEGORIES order
    orders_per_year: float  # mean of the gamma-distributed personal rate
    rhythm_share: float  # share of orders placed on a personal replenishment clock
    replenish_slots: int  # replenishable favourites bought on that clock
    basket_mult: float  # relative basket within a channel
    favourite_share: float  # share of lines picked from the customer's favourites
    discount_sensitivity: float  # drives promo-code use and response to discount offers
    web_sessions_per_month: float  # browsing sessions while active
    web_account: float  # probability of having a web account
    loyalty_card: float
    churn_per_year: float  # hazard of becoming inactive
    response: tuple[float, ...]  # campaign response multiplier, vocab.CONTACT_CHANNELS order
    christmas: float  # December multiplier of unplanned orders


TYPES: tuple[TypeProfile, ...] = (
    TypeProfile(
        name="web_first_gourmet",
        share=0.20,
        pre_period_tilt=1.0,
        birth_mean=1980,
        birth_sd=9,
        channel_mix=(0.72, 0.12, 0.03, 0.02, 0.08, 0.03),
        category_mix=(0.30, 0.20, 0.12, 0.14, 0.04, 0.05, 0.08, 0.07),
        orders_per_year=5.0,
        rhythm_share=0.35,
        replenish_slots=2,
        basket_mult=1.2,
        favourite_share=0.45,
        discount_sensitivity=0.6,
        web_sessions_per_month=2.2,
        web_account=0.97,
        loyalty_card=0.25,
        churn_per_year=0.22,
        response=(1.1, 0.8, 0.4, 0.6, 0.9, 1.2),
        christmas=1.8,
    ),
    TypeProfile(
        name="phone_loyal_senior",
        share=0.14,
        pre_period_tilt=2.2,
        birth_mean=1947,
        birth_sd=7,
        channel_mix=(0.02, 0.005, 0.68, 0.20, 0.04, 0.06),
        category_mix=(0.10, 0.22, 0.17, 0.20, 0.14, 0.03, 0.09, 0.05),
        orders_per_year=9.0,
        rhythm_share=0.6,
        replenish_slots=3,
        basket_mult=1.0,
        favourite_share=0.6,
        discount_sensitivity=0.5,
        web_sessions_per_month=0.1,
        web_account=0.1,
        loyalty_card=0.55,
        churn_per_year=0.10,
        response=(0.5, 0.5, 1.8, 1.6, 0.3, 0.3),
        christmas=1.6,
    ),
    TypeProfile(
        name="deal_seeker",
        share=0.15,
        pre_period_tilt=0.8,
        birth_mean=1980,
        birth_sd=12,
        channel_mix=(0.55, 0.25, 0.04, 0.02, 0.10, 0.04),
        category_mix=(0.14, 0.10, 0.10, 0.22, 0.10, 0.04, 0.15, 0.15),
        orders_per_year=4.5,
        rhythm_share=0.15,
        replenish_slots=1,
        basket_mult=0.8,
        favourite_share=0.3,
        discount_sensitivity=3.5,
        web_sessions_per_month=2.5,
        web_account=0.95,
        loyalty_card=0.35,
        churn_per_year=0.45,
        response=(1.5, 1.6, 0.5, 0.6, 1.4, 1.3),
        christmas=1.8,
    ),
    TypeProfile(
        name="occasional_gift_buyer",
        share=0.17,
        pre_period_tilt=0.8,
        birth_mean=1968,
        birth_sd=14,
        channel_mix=(0.45, 0.05, 0.15, 0.10, 0.20, 0.05),
        category_mix=(0.20, 0.05, 0.07, 0.06, 0.01, 0.45, 0.04, 0.12),
        orders_per_year=1.3,
        rhythm_share=0.0,
        replenish_slots=0,
        basket_mult=1.55,
        favourite_share=0.15,
        discount_sensitivity=0.8,
        web_sessions_per_month=0.4,
        web_account=0.6,
        loyalty_card=0.15,
        churn_per_year=0.30,
        response=(0.7, 0.6, 0.6, 1.0, 0.5, 1.0),
        christmas=5.0,
    ),
    TypeProfile(
        name="lapsing",
        share=0.12,
        pre_period_tilt=2.0,
        birth_mean=1972,
        birth_sd=14,
        channel_mix=(0.14, 0.03, 0.22, 0.46, 0.10, 0.05),
        category_mix=(0.18, 0.15, 0.12, 0.16, 0.10, 0.08, 0.11, 0.10),
        orders_per_year=3.5,
        rhythm_share=0.3,
        replenish_slots=1,
        basket_mult=0.9,
        favourite_share=0.35,
        discount_sensitivity=0.9,
        web_sessions_per_month=0.9,
        web_account=0.6,
        loyalty_card=0.25,
        churn_per_year=1.3,
        response=(0.45, 0.45, 0.5, 0.5, 0.4, 0.5),
        christmas=1.6,
    ),
    TypeProfile(
        name="store_regular",
        share=0.11,
        pre_period_tilt=1.6,
        birth_mean=1963,
        birth_sd=12,
        channel_mix=(0.06, 0.02, 0.08, 0.02, 0.72, 0.10),
        category_mix=(0.13, 0.21, 0.18, 0.13, 0.21, 0.02, 0.08, 0.04),
        orders_per_year=14.0,
        rhythm_share=0.6,
        replenish_slots=2,
        basket_mult=1.0,
        favourite_share=0.55,
        discount_sensitivity=0.6,
        web_sessions_per_month=0.3,
        web_account=0.3,
        loyalty_card=0.9,
        churn_per_year=0.15,
        response=(0.8, 1.1, 0.6, 0.8, 0.6, 0.5),
        christmas=1.5,
    ),
    TypeProfile(
        name="app_family",
        share=0.11,
        pre_period_tilt=0.6,
        birth_mean=1986,
        birth_sd=6,
        channel_mix=(0.10, 0.72, 0.01, 0.01, 0.06, 0.10),
        category_mix=(0.07, 0.15, 0.11, 0.18, 0.20, 0.03, 0.10, 0.16),
        orders_per_year=10.0,
        rhythm_share=0.5,
        replenish_slots=2,
        basket_mult=1.0,
        favourite_share=0.5,
        discount_sensitivity=1.1,
        web_sessions_per_month=3.2,
        web_account=1.0,
        loyalty_card=0.3,
        churn_per_year=0.30,
        response=(0.9, 1.0, 0.2, 0.3, 1.6, 1.0),
        christmas=1.5,
    ),
)

TYPE_NAMES: tuple[str, ...] = tuple(t.name for t in TYPES)


@dataclass(frozen=True)
class TypeArrays:
    """The profiles as arrays indexed by type number, for vectorised lookups."""

    share: np.ndarray
    pre_period_tilt: np.ndarray
    birth_mean: np.ndarray
    birth_sd: np.ndarray
    channel_mix: np.ndarray  # (types, channels)
    category_mix: np.ndarray  # (types, categories)
    orders_per_year: np.ndarray
    rhythm_share: np.ndarray
    replenish_slots: np.ndarray
    basket_mult: np.ndarray
    favourite_share: np.ndarray
    discount_sensitivity: np.ndarray
    web_sessions_per_month: np.ndarray
    web_account: np.ndarray
    loyalty_card: np.ndarray
    churn_per_year: np.ndarray
    response: np.ndarray  # (types, contact channels)
    christmas: np.ndarray


@cache
def type_arrays() -> TypeArrays:
    def col(name: str) -> np.ndarray:
        return np.array([getattr(t, name) for t in TYPES], dtype=np.float64)

    arrays = {name: col(name) for name in TypeArrays.__dataclass_fields__}
    arrays["share"] = arrays["share"] / arrays["share"].sum()
    for mix in ("channel_mix", "category_mix"):
        arrays[mix] = arrays[mix] / arrays[mix].sum(axis=1, keepdims=True)
    arrays["replenish_slots"] = arrays["replenish_slots"].astype(np.int64)
    return TypeArrays(**arrays)
