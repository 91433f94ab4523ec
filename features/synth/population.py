"""The customers: hidden type, life span in the period and every personal trait the other stages read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features import vocab
from features.synth.calendar import DAY, MONTH_FACTORS, Calendar, at_channel_hours
from features.synth.catalogue import Catalogue
from features.synth.config import SynthConfig
from features.synth.geo import draw_regions
from features.synth.ids import NEVER
from features.synth.profiles import CATEGORIES, type_arrays
from features.synth.sampling import dirichlet_rows, draw_rows

YEAR = 365.25 * DAY
FAVOURITES = 8  # favourite products per customer
REPLENISH_SLOTS = 3
# Dirichlet concentrations: how closely a customer's mixes follow the type's (higher = closer).
CHANNEL_CONCENTRATION = 12.0
CATEGORY_CONCENTRATION = 10.0
RATE_SHAPE = 2.0  # gamma shape of personal order rates: a long tail of heavy buyers
# Before churning a customer fades: activity falls to this share over the last FADE_DAYS.
FADE_FLOOR = 0.3
FADE_DAYS = 120
ACQUIRED_ELSEWHERE = {"partner": 0.04, "event": 0.03}
ORDER_CHANNEL_INDEX = {ch: i for i, ch in enumerate(vocab.ORDER_CHANNELS)}


@dataclass(frozen=True)
class Population:
    type: np.ndarray
    created_at: np.ndarray  # epoch seconds
    churn_at: np.ndarray  # NEVER if still active at the end
    active_from: np.ndarray  # max(created_at, period start)
    stop: np.ndarray  # min(churn_at, period end)
    birth_year: np.ndarray  # true year, always known to the generator
    birth_known: np.ndarray
    gender: np.ndarray  # index into vocab.GENDERS, -1 unknown
    region: np.ndarray
    postcode: np.ndarray  # -1 unknown
    acquisition: np.ndarray  # index into vocab.ACQUISITION_CHANNELS
    channel_mix: np.ndarray  # (n, order channels)
    category_mix: np.ndarray  # (n, categories)
    orders_per_year: np.ndarray
    rhythm_gap_days: np.ndarray  # gap of the replenishment clock; inf when the customer has none
    basket_mult: np.ndarray
    favourite_share: np.ndarray
    discount_sensitivity: np.ndarray
    web_sessions_per_month: np.ndarray
    web_account: np.ndarray  # has an account before any web order forces one
    loyalty_card: np.ndarray
    response: np.ndarray  # (n, contact channels) multiplier of open/click/conversion odds
    favourites: np.ndarray  # (n, FAVOURITES) product indices
    replenish: np.ndarray  # (n, REPLENISH_SLOTS) product indices, -1 for an unused slot
    replenish_every: np.ndarray  # bought every k-th tick of the clock
    replenish_phase: np.ndarray
    app_user: np.ndarray
    web_device: np.ndarray  # index into vocab.DEVICES of the browser they use (never "app")

    @property
    def n(self) -> int:
        return int(self.type.size)

    @property
    def is_senior(self) -> np.ndarray:
        return self.birth_year < 1960

    def fade(self, customer: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Activity multiplier: 1, falling to FADE_FLOOR as a churning customer nears churn_at."""
        left = (self.churn_at[customer] - t) / (FADE_DAYS * DAY)
        return 1.0 - (1.0 - FADE_FLOOR) * np.clip(1.0 - left, 0.0, 1.0)


def build_population(
    rng: np.random.Generator, config: SynthConfig, cal: Calendar, cat: Catalogue
) -> Population:
    ta = type_arrays()
    n = config.customers
    kind = rng.choice(ta.share.size, size=n, p=ta.share)

    # Old hands predate the period by up to twelve years; newcomers arrive through it, more at Christmas.
    tilt = ta.pre_period_tilt / (ta.share * ta.pre_period_tilt).sum()
    pre = rng.random(n) < np.clip(config.pre_period_share * tilt[kind], 0.0, 0.95)
    age = np.minimum(rng.exponential(2.5 * YEAR, n), 12 * YEAR) + DAY
    acquisition_weights = np.tile(MONTH_FACTORS, (ta.share.size, 1))
    acquisition_weights[:, 11] = 1.3 * ta.christmas
    day_weights = acquisition_weights[:, cal.month]
    day = draw_rows(rng, day_weights / day_weights.sum(axis=1, keepdims=True), kind)
    arrival = np.clip(cal.origin + day * DAY + rng.integers(0, DAY, n), cal.start, cal.end - 1)
    created_at = np.where(pre, cal.start - age.astype(np.int64), arrival)

    channel_mix = dirichlet_rows(rng, ta.channel_mix[kind] * CHANNEL_CONCENTRATION + 0.02)
    acquisition = draw_rows(rng, channel_mix, np.arange(n))
    elsewhere = rng.random(n)
    for name, share in ACQUIRED_ELSEWHERE.items():
        acquisition = np.where(
            (elsewhere >= 0) & (elsewhere < share), vocab.ACQUISITION_CHANNELS.index(name), acquisition
        )
        elsewhere -= share
    # The acquisition channel stays part of the customer's habits.
    acquired_by_order = acquisition < len(vocab.ORDER_CHANNELS)
    boost = np.zeros_like(channel_mix)
    boost[np.flatnonzero(acquired_by_order), acquisition[acquired_by_order]] = 0.15
    channel_mix = channel_mix * (1 - boost.sum(axis=1, keepdims=True)) + boost
    # Newcomers acquired by an order arrive during opening hours of that channel.
    office = np.where(acquired_by_order, acquisition, ORDER_CHANNEL_INDEX["phone"])
    new = ~pre
    created_at[new] = at_channel_hours(
        rng, cal, created_at[new], office[new], np.full(new.sum(), cal.start), np.full(new.sum(), cal.end)
    )

    active_from = np.maximum(created_at, cal.start)
    churn = active_from + (rng.exponential(1.0, n) / ta.churn_per_year[kind] * YEAR).astype(np.int64)
    churn_at = np.where(churn < cal.end, churn, NEVER)
    # Churn a few minutes after the arrival would leave no first order; keep at least a day.
    churn_at = np.where(churn_at < created_at + DAY, created_at + DAY, churn_at)
    churn_at = np.where(churn_at >= cal.end, NEVER, churn_at)

    birth_year = np.clip(np.round(rng.normal(ta.birth_mean[kind], ta.birth_sd[kind])), 1928, 2006).astype(int)
    gender = rng.choice(len(vocab.GENDERS), size=n, p=[0.56, 0.42, 0.02])
    region, postcode = draw_regions(rng, n)

    category_mix = dirichlet_rows(rng, ta.category_mix[kind] * CATEGORY_CONCENTRATION + 0.05)
    orders_per_year = rng.gamma(RATE_SHAPE, ta.orders_per_year[kind] / RATE_SHAPE)
    rhythm = ta.rhythm_share[kind]
    with np.errstate(divide="ignore"):
        gap = np.where(rhythm > 0, np.clip(365.0 / (orders_per_year * rhythm), 7.0, 365.0), np.inf)

    web_account = (rng.random(n) < ta.web_account[kind]) | np.isin(
        acquisition, [ORDER_CHANNEL_INDEX["web"], ORDER_CHANNEL_INDEX["app"]]
    )
    senior = birth_year < 1960
    device_probs = np.where(senior[:, None], [0.5, 0.15, 0.35], [0.35, 0.55, 0.10])
    web_device = np.array([vocab.DEVICES.index(d) for d in ("desktop", "mobile", "tablet")])[
        draw_rows(rng, device_probs, np.arange(n))
    ]

    favourites, replenish, every, phase = _favourites(rng, cat, kind, category_mix)
    return Population(
        type=kind,
        created_at=created_at,
        churn_at=churn_at,
        active_from=active_from,
        stop=np.minimum(churn_at, cal.end),
        birth_year=birth_year,
        birth_known=rng.random(n) < np.where(senior, 0.93, 0.86),
        gender=np.where(rng.random(n) < 0.08, -1, gender),
        region=region,
        postcode=postcode,
        acquisition=acquisition,
        channel_mix=channel_mix,
        category_mix=category_mix,
        orders_per_year=orders_per_year,
        rhythm_gap_days=gap,
        basket_mult=ta.basket_mult[kind] * _mean_one(rng, n, 0.25),
        favourite_share=ta.favourite_share[kind],
        discount_sensitivity=ta.discount_sensitivity[kind] * _mean_one(rng, n, 0.3),
        web_sessions_per_month=rng.gamma(1.5, ta.web_sessions_per_month[kind] / 1.5),
        web_account=web_account,
        loyalty_card=rng.random(n) < ta.loyalty_card[kind],
        response=ta.response[kind] * _mean_one(rng, n, 0.5)[:, None],
        favourites=favourites,
        replenish=np.where(np.arange(REPLENISH_SLOTS) < ta.replenish_slots[kind][:, None], replenish, -1),
        replenish_every=every,
        replenish_phase=phase,
        app_user=(channel_mix[:, ORDER_CHANNEL_INDEX["app"]] > 0.12),
        web_device=web_device,
    )


def _mean_one(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Log-normal multipliers with mean 1: personal scatter around the type's value."""
    return rng.lognormal(-(sigma**2) / 2, sigma, n)


def _favourites(
    rng: np.random.Generator, cat: Catalogue, kind: np.ndarray, category_mix: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Favourite products (any) and replenishable favourites with their rhythm in clock ticks."""
    n = kind.size
    rows = np.repeat(np.arange(n), FAVOURITES)
    fav_cat = draw_rows(rng, category_mix, rows)
    favourites = cat.sampler.draw(rng, fav_cat, np.zeros(rows.size, dtype=np.int64)).reshape(n, FAVOURITES)

    # Replenishables come from the categories that have some, in the customer's proportions.
    mix = category_mix * cat.replenishable_categories[None, : len(CATEGORIES)]
    rows = np.repeat(np.arange(n), REPLENISH_SLOTS)
    rep_cat = draw_rows(rng, mix / mix.sum(axis=1, keepdims=True), rows)
    replenish = cat.replenishable_sampler.draw(rng, rep_cat, np.zeros(rows.size, dtype=np.int64))
    every = rng.choice([1, 2, 3], size=rows.size, p=[0.5, 0.35, 0.15])
    phase = (rng.random(rows.size) * every).astype(np.int64)
    shape = (n, REPLENISH_SLOTS)
    replenish = replenish.reshape(shape)
    for slot in range(1, REPLENISH_SLOTS):  # a staple drawn twice is one staple
        again = (replenish[:, slot : slot + 1] == replenish[:, :slot]).any(axis=1)
        replenish[again, slot] = -1
    return favourites, replenish, every.reshape(shape), phase.reshape(shape)
