"""When each order happens and why: first orders, the replenishment clock, unplanned (seasonal) orders,
campaign conversions, recovered carts, wishlists and guest checkouts.

Every source yields ``OrderIntents``; ``finalise`` keeps those inside each customer's life, sorts them
and gives each its channel, discount and basket budget. Lines are filled in by ``basket``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from features import vocab
from features.synth.calendar import MINUTE, Calendar, at_channel_hours, renewal_ticks, seasonal_arrivals
from features.synth.campaigns import OFFER_DISCOUNT, Contacts
from features.synth.config import SynthConfig
from features.synth.population import Population
from features.synth.profiles import type_arrays
from features.synth.sampling import draw_rows

# Why an order exists (truth only).
FIRST, CLOCK, UNPLANNED, CAMPAIGN, CART, WISHLIST, GUEST, HELD_OUT = range(8)
# held_out: a control customer's order that the campaign would have credited (features.synth.uplift)
ORDER_SOURCES = ("first", "clock", "unplanned", "campaign", "cart", "wishlist", "guest", "held_out")
RHYTHM_CV = 0.25  # regularity of the replenishment clock (coefficient of variation of its gaps)
SKIPPED_TICK = 0.1  # a clock tick passes without an order (away, still stocked)
AUGUST_SKIP = 0.45
# Share of unplanned orders with a promo code: PROMO_CODE_RATE x sensitivity squared, so bargain hunters
# (sensitivity ~2.5) use one in ~40% of orders and everyone else in a few percent.
PROMO_CODE_RATE = 0.06
PROMO_CODE_DISCOUNTS = np.array([0.05, 0.10, 0.15, 0.20])
BASKET_SIGMA = 0.45  # spread of order budgets around the customer's usual basket
DECEMBER_BASKET = 1.25
NOVEMBER_BASKET = 1.1


@dataclass(frozen=True)
class OrderIntents:
    customer: np.ndarray  # -1 for a guest
    t: np.ndarray
    channel: np.ndarray  # order channel, -1 to draw from the customer's mix
    campaign: np.ndarray  # -1 none
    offer: np.ndarray  # -1 none
    contact: np.ndarray  # index into the contacts it converts, -1 none
    sku: np.ndarray  # product the order must contain, -1 none
    source: np.ndarray
    tick: np.ndarray  # replenishment clock tick, -1 off-clock
    visitor: np.ndarray  # web visitor of a guest checkout, -1 otherwise

    @staticmethod
    def make(customer: np.ndarray, t: np.ndarray, source: int, **given: np.ndarray) -> OrderIntents:
        n = customer.size
        values = {f.name: given.get(f.name, np.full(n, -1, dtype=np.int64)) for f in fields(OrderIntents)}
        values.update(customer=customer, t=t, source=np.full(n, source))
        return OrderIntents(**values)

    @staticmethod
    def concat(parts: list[OrderIntents]) -> OrderIntents:
        return OrderIntents(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(OrderIntents))
        )

    def take(self, index: np.ndarray) -> OrderIntents:
        return OrderIntents(*(getattr(self, f.name)[index] for f in fields(OrderIntents)))


@dataclass(frozen=True)
class OrderPlan:
    intents: OrderIntents  # sorted by time, one per order
    discount: np.ndarray  # order-level discount (category offers apply it to their category only)
    budget: np.ndarray  # target net value, EUR


def planned_orders(rng: np.random.Generator, cal: Calendar, pop: Population) -> OrderIntents:
    """Orders the customers place of their own accord."""
    ta = type_arrays()
    # A newcomer acquired through an order channel places that first order on arrival.
    acquired = (pop.created_at >= cal.start) & (pop.acquisition < len(vocab.ORDER_CHANNELS))
    first_customer = np.flatnonzero(acquired)
    first = OrderIntents.make(
        first_customer,
        pop.created_at[first_customer] + rng.integers(MINUTE, 20 * MINUTE, first_customer.size),
        FIRST,
        channel=pop.acquisition[first_customer],
    )
    # The replenishment clock: regular orders that restock the customer's staples.
    on_clock = np.isfinite(pop.rhythm_gap_days)
    idx = np.flatnonzero(on_clock)
    entity, tick, t = renewal_ticks(
        rng, pop.active_from[idx], pop.stop[idx], pop.rhythm_gap_days[idx], RHYTHM_CV
    )
    customer = idx[entity]
    skip = np.where(cal.month_of(t) == 7, AUGUST_SKIP, SKIPPED_TICK)
    keep = rng.random(t.size) >= skip
    clock = OrderIntents.make(customer[keep], t[keep], CLOCK, tick=tick[keep])
    # Unplanned orders follow the seasons, each type with its own Christmas.
    rate = pop.orders_per_year * (1 - ta.rhythm_share[pop.type]) / 365.25
    daily = cal.seasonal_profiles(ta.christmas)
    entity, t = seasonal_arrivals(rng, cal, daily, pop.type, pop.active_from, pop.stop, rate)
    unplanned = OrderIntents.make(entity, t, UNPLANNED)
    return OrderIntents.concat([first, clock, unplanned])


def contact_orders(contacts: Contacts) -> OrderIntents:
    """The orders campaigns converted, credited to the campaign and its offer."""
    idx = np.flatnonzero(contacts.order_channel >= 0)
    return OrderIntents.make(
        contacts.customer[idx],
        contacts.convert_at[idx],
        CAMPAIGN,
        channel=contacts.order_channel[idx],
        campaign=contacts.campaign[idx],
        offer=contacts.offer[idx],
        contact=idx,
        sku=contacts.sku[idx],
    )


def finalise(
    rng: np.random.Generator, config: SynthConfig, cal: Calendar, pop: Population, intents: OrderIntents
) -> OrderPlan:
    """Keep orders inside each customer's life, fade churners, then set channel, discount and budget."""
    known = intents.customer >= 0
    cust = np.where(known, intents.customer, 0)
    inside = ~known | ((intents.t >= pop.created_at[cust]) & (intents.t < pop.stop[cust]))
    inside &= (intents.t >= cal.start) & (intents.t < cal.end)
    # Churners thin out before they go: own-initiative orders fade, triggered ones are already faded.
    own = np.isin(intents.source, [CLOCK, UNPLANNED])
    inside &= ~(known & own) | (rng.random(cust.size) < pop.fade(cust, intents.t))
    kept = intents.take(np.flatnonzero(inside))
    cust = np.where(kept.customer >= 0, kept.customer, 0)

    drawn = draw_rows(rng, pop.channel_mix, cust)
    channel = np.where(kept.channel >= 0, kept.channel, drawn)
    channel = np.where(kept.customer < 0, 0, channel)
    lo = np.where(kept.customer >= 0, pop.created_at[cust], cal.start)
    hi = np.where(kept.customer >= 0, pop.stop[cust], cal.end)
    own = np.isin(kept.source, [CLOCK, UNPLANNED])
    t = kept.t.copy()
    t[own] = at_channel_hours(rng, cal, t[own], channel[own], lo[own], hi[own])
    order = np.lexsort((kept.customer, t))
    kept = replace(kept.take(order), t=t[order], channel=channel[order])
    channel, cust = channel[order], cust[order]

    promo = (np.isin(kept.source, [UNPLANNED, FIRST])) & (kept.customer >= 0)
    promo &= rng.random(cust.size) < np.clip(PROMO_CODE_RATE * pop.discount_sensitivity[cust] ** 2, 0, 0.85)
    discount = np.where(promo, rng.choice(PROMO_CODE_DISCOUNTS, cust.size), 0.0)
    discount = np.where(kept.offer >= 0, OFFER_DISCOUNT[np.maximum(kept.offer, 0)], discount)

    month = cal.month_of(kept.t)
    season = np.select([month == 11, month == 10], [DECEMBER_BASKET, NOVEMBER_BASKET], 1.0)
    personal = np.where(kept.customer >= 0, pop.basket_mult[cust], 1.0)
    noise = rng.lognormal(-(BASKET_SIGMA**2) / 2, BASKET_SIGMA, cust.size)
    raw = personal * season * noise
    # Normalise per channel so each channel's mean budget is exactly its calibration target.
    targets = config.basket_targets()
    mean = np.bincount(channel, weights=raw, minlength=targets.size) / np.maximum(
        np.bincount(channel, minlength=targets.size), 1
    )
    budget = raw / np.where(mean > 0, mean, 1.0)[channel] * targets[channel]
    return OrderPlan(intents=kept, discount=discount, budget=budget)


def guest_intents(visitor: np.ndarray, t: np.ndarray) -> OrderIntents:
    """Web checkouts by strangers who never sign up, a few minutes into their visit."""
    n = visitor.size
    return OrderIntents.make(
        np.full(n, -1), t + 5 * MINUTE, GUEST, channel=np.zeros(n, np.int64), visitor=visitor
    )
