"""Order lines: what each order contains, at which price and discount, and the returns.

An order is filled to its budget from candidate lines: the products it must hold first (staples due
on the replenishment clock, a reminded cart), then favourites, category draws and pairing partners.
The line that crosses the budget is kept with the probability that makes the expected net value
equal the budget, so channel averages hit their calibration targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import vocab
from features.synth.calendar import DAY, Calendar, at_channel_hours
from features.synth.campaigns import OFFER_CATEGORY, OFFERS
from features.synth.catalogue import DELIVERY_FEE_EUR, Catalogue, season_of_month
from features.synth.orders import CLOCK, OrderPlan
from features.synth.population import Population
from features.synth.profiles import CATEGORIES, type_arrays
from features.synth.sampling import draw_rows, group_positions, grouped_cumsum, run_starts

# Extra units beyond the first, Poisson mean per category (CATEGORIES order); wine also sells by the case.
EXTRA_UNITS = np.array([0.5, 0.3, 0.3, 0.4, 0.8, 0.08, 0.4, 0.3])
WINE_CASE = 0.08
PAIRING = 0.35  # a line is the pairing partner of the line before it
OFFER_FOCUS = 0.7  # lines of a category-offer order that come from that category
DUE_BOUGHT = 0.9  # a staple due on the clock is in the order
# Seasonal pull towards festive (Nov-Dec) and summer (Jun-Aug) categories, and their mixes.
# Months are 0-based throughout the generator (January = 0).
FESTIVE_PULL = {10: 0.12, 11: 0.25}
SUMMER_PULL = 0.12
FESTIVE_MIX = np.array([0.25, 0.0, 0.10, 0.0, 0.0, 0.50, 0.0, 0.15])
SUMMER_MIX = np.array([0.4, 0.0, 0.0, 0.0, 0.6, 0.0, 0.0, 0.0])
CANDIDATE_MARGIN = 2.2  # candidates per expected line, so budgets rarely run out of them
CALIBRATION_ROUNDS = 3
FREE_SHIPPING_FROM = 60.0  # web, app and home delivery orders below this pay the delivery fee
GIFT_WRAP = 0.2  # December web orders asking for gift wrapping


@dataclass(frozen=True)
class Lines:
    order: np.ndarray  # header index (plan order), or original order for returns
    product: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    discount: np.ndarray


@dataclass(frozen=True)
class Returns:
    lines: Lines  # one line per return, ``order`` = the original order
    t: np.ndarray


def build_lines(
    rng: np.random.Generator, cal: Calendar, pop: Population, cat: Catalogue, plan: OrderPlan
) -> Lines:
    """The lines of every planned order (fees included), merged to one line per (order, product)."""
    it = plan.intents
    n = it.t.size
    known = it.customer >= 0
    cust = np.where(known, it.customer, 0)
    month = cal.month_of(it.t)
    season = season_of_month(month)

    # Products the order must contain: a reminded cart or wish, and staples due on the clock.
    forced_order = [np.flatnonzero(it.sku >= 0)]
    forced_product = [it.sku[forced_order[0]]]
    on_clock = np.flatnonzero(it.source == CLOCK)
    for slot in range(pop.replenish.shape[1]):
        c, tick = cust[on_clock], it.tick[on_clock]
        product = pop.replenish[c, slot]
        due = (product >= 0) & ((tick - pop.replenish_phase[c, slot]) % pop.replenish_every[c, slot] == 0)
        due &= rng.random(on_clock.size) < DUE_BOUGHT
        forced_order.append(on_clock[due])
        forced_product.append(product[due])
    f_order, f_product = np.concatenate(forced_order), np.concatenate(forced_product)

    mean_line = _mean_line_value(cat)
    counts = np.clip(np.ceil(CANDIDATE_MARGIN * plan.budget / mean_line) + 2, 3, 40).astype(np.int64)
    order, position = group_positions(counts)
    c = cust[order]
    mix = type_arrays().category_mix.T @ type_arrays().share
    category = np.where(
        known[order], draw_rows(rng, pop.category_mix, c), rng.choice(mix.size, order.size, p=mix / mix.sum())
    )
    m = month[order]
    pull = np.select([m == 10, m == 11], [FESTIVE_PULL[10], FESTIVE_PULL[11]], 0.0)
    festive = rng.random(order.size) < pull
    category[festive] = rng.choice(len(CATEGORIES), int(festive.sum()), p=FESTIVE_MIX)
    summer = np.isin(m, (5, 6, 7)) & (rng.random(order.size) < SUMMER_PULL)
    category[summer] = rng.choice(len(CATEGORIES), int(summer.sum()), p=SUMMER_MIX)
    offer_cat = np.where(it.offer >= 0, OFFER_CATEGORY[np.maximum(it.offer, 0)], -1)[order]
    focus = (offer_cat >= 0) & (rng.random(order.size) < OFFER_FOCUS)
    category = np.where(focus, offer_cat, category)
    product = cat.sampler.draw(rng, category, season[order])
    favourite = known[order] & (rng.random(order.size) < pop.favourite_share[c]) & ~focus
    slot = rng.integers(0, pop.favourites.shape[1], order.size)
    product = np.where(favourite, pop.favourites[c, slot], product)
    paired = (position > 0) & (rng.random(order.size) < PAIRING)
    product = np.where(paired, cat.partner[np.roll(product, 1)], product)

    # Each order's forced lines first, then its candidates in order; fill each order up to its budget.
    by_order = np.argsort(f_order, kind="stable")
    f_order, f_product = f_order[by_order], f_product[by_order]
    n_forced = np.bincount(f_order, minlength=n)
    start = np.cumsum(n_forced + counts) - (n_forced + counts)
    _, f_rank = group_positions(n_forced)
    slot_of_forced = start[f_order] + f_rank
    slot_of_candidate = start[order] + n_forced[order] + position
    size = f_order.size + order.size
    all_order = np.empty(size, dtype=np.int64)
    all_product = np.empty(size, dtype=np.int64)
    all_order[slot_of_forced], all_order[slot_of_candidate] = f_order, order
    all_product[slot_of_forced], all_product[slot_of_candidate] = f_product, product
    forced = np.zeros(size, dtype=bool)
    forced[slot_of_forced] = True

    line_cat = cat.category[all_product]
    quantity = 1 + rng.poisson(EXTRA_UNITS[line_cat])
    quantity = np.where((line_cat == 0) & (rng.random(all_order.size) < WINE_CASE), 6, quantity)
    price = cat.price_at(all_product, it.t[all_order])
    discount = _line_discount(plan, all_order, line_cat)
    value = quantity * price * (1 - discount)
    first = run_starts(all_order)
    keep = _fill(rng, plan, all_order, value, forced, first)
    lines = Lines(all_order[keep], all_product[keep], quantity[keep], price[keep], discount[keep])
    return _with_fees(rng, cal, cat, plan, _merge(lines, cat.n_products))


def _fill(
    rng: np.random.Generator,
    plan: OrderPlan,
    order: np.ndarray,
    value: np.ndarray,
    forced: np.ndarray,
    first: np.ndarray,
) -> np.ndarray:
    """Which candidate lines each order keeps so its net value (fees included) meets its budget.

    Keeping the crossing line with probability (budget left / line value) makes the expected value
    equal the budget; forced lines and the one-line minimum push it up a little, so a few rounds
    rescale the budgets per channel until each channel's mean value is on target.
    """
    it = plan.intents
    n = it.t.size
    channel = it.channel
    per_channel = np.bincount(channel, minlength=6)
    target = np.bincount(channel, weights=plan.budget, minlength=6) / np.maximum(per_channel, 1)
    cum = grouped_cumsum(value, first)
    before = cum - value
    u = rng.random(order.size) * value
    shipped = np.isin(channel, (0, 1, 5)) & (it.offer != OFFERS.index("FREE_DELIVERY"))
    scale = np.ones(6)
    for _ in range(CALIBRATION_ROUNDS):
        budget = (plan.budget * scale[channel])[order]
        keep = forced | first | ((before < budget) & ((cum <= budget) | (u < budget - before)))
        goods = np.bincount(order[keep], weights=value[keep], minlength=n)
        total = goods + np.where(shipped & (goods < FREE_SHIPPING_FROM), DELIVERY_FEE_EUR, 0.0)
        realised = np.bincount(channel, weights=total, minlength=6) / np.maximum(per_channel, 1)
        scale *= np.where(realised > 0, target / np.maximum(realised, 1e-9), 1.0)
    return keep


def _line_discount(plan: OrderPlan, order: np.ndarray, line_cat: np.ndarray) -> np.ndarray:
    offer = plan.intents.offer[order]
    offer_cat = np.where(offer >= 0, OFFER_CATEGORY[np.maximum(offer, 0)], -1)
    applies = (offer_cat < 0) | (offer_cat == line_cat)
    return np.where(applies, plan.discount[order], 0.0)


def _mean_line_value(cat: Catalogue) -> float:
    products = cat.category >= 0
    units = 1 + EXTRA_UNITS[cat.category[products]]
    return float(np.average(cat.price[products] * units, weights=cat.popularity[0, products]))


def _merge(lines: Lines, n_products: int) -> Lines:
    """One line per (order, product): the contract's key. Quantities add up.

    Lines are grouped by order, so numbering the distinct keys in order of appearance (a hash, not a
    sort) keeps them grouped.
    """
    key = lines.order.astype(np.int64) * n_products + lines.product
    codes, uniques = pd.factorize(key)
    if uniques.size == key.size:
        return lines
    first = np.empty(uniques.size, dtype=np.int64)
    first[codes[::-1]] = np.arange(key.size)[::-1]
    quantity = np.bincount(codes, weights=lines.quantity).astype(np.int64)
    return Lines(
        lines.order[first], lines.product[first], quantity, lines.price[first], lines.discount[first]
    )


def _with_fees(
    rng: np.random.Generator, cal: Calendar, cat: Catalogue, plan: OrderPlan, lines: Lines
) -> Lines:
    it = plan.intents
    goods = np.bincount(
        lines.order, weights=lines.quantity * lines.price * (1 - lines.discount), minlength=it.t.size
    )
    shipped = np.isin(it.channel, (0, 1, 5)) & (goods < FREE_SHIPPING_FROM)
    free = it.offer == OFFERS.index("FREE_DELIVERY")
    fee_order = np.flatnonzero(shipped)
    wrap_order = np.flatnonzero(
        (it.channel == 0) & (cal.month_of(it.t) == 11) & (rng.random(it.t.size) < GIFT_WRAP)
    )
    order = np.concatenate([lines.order, fee_order, wrap_order])
    product = np.concatenate(
        [lines.product, np.full(fee_order.size, cat.delivery_fee), np.full(wrap_order.size, cat.gift_wrap)]
    )
    price = np.concatenate(
        [
            lines.price,
            np.full(fee_order.size, cat.price[cat.delivery_fee]),
            np.full(wrap_order.size, cat.price[cat.gift_wrap]),
        ]
    )
    discount = np.concatenate(
        [lines.discount, np.where(free[fee_order], 1.0, 0.0), np.zeros(wrap_order.size)]
    )
    quantity = np.concatenate([lines.quantity, np.ones(fee_order.size + wrap_order.size, dtype=np.int64)])
    sort = np.argsort(order, kind="stable")
    return Lines(order[sort], product[sort], quantity[sort], price[sort], discount[sort])


def build_returns(
    rng: np.random.Generator,
    cal: Calendar,
    pop: Population,
    cat: Catalogue,
    plan: OrderPlan,
    lines: Lines,
    rate: float,
) -> Returns:
    """A share of orders sends one product line back (part of its units) a few days to a month later."""
    it = plan.intents
    goods = np.flatnonzero(cat.category[lines.product] >= 0)
    # Pick one goods line per order at random, then keep the orders that return it.
    shuffled = goods[rng.permutation(goods.size)]
    _, first = np.unique(lines.order[shuffled], return_index=True)
    pick = shuffled[first]
    pick = pick[rng.random(pick.size) < rate]
    order = lines.order[pick]
    t = it.t[order] + rng.integers(2 * DAY, 30 * DAY, pick.size)
    cust = it.customer[order]
    stop = np.where(cust >= 0, pop.stop[np.maximum(cust, 0)], cal.end)
    # Returns are booked by the service desk during office hours.
    office = np.full(pick.size, vocab.ORDER_CHANNELS.index("phone"))
    t = at_channel_hours(rng, cal, t, office, it.t[order] + DAY, stop)
    ok = t < stop
    pick, order, t = pick[ok], order[ok], t[ok]
    back = -rng.integers(1, lines.quantity[pick] + 1)
    returned = Lines(order, lines.product[pick], back, lines.price[pick], lines.discount[pick])
    return Returns(lines=returned, t=t)
