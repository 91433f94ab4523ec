"""Sessions tied to orders and contacts: the checkout session of every web and app order, the visits
that precede a purchase (views of what is bought next: purchase intent), and the landing visits of
clicked messages that did not convert.
"""

from __future__ import annotations

import numpy as np

from features.synth.basket import Lines
from features.synth.browsing import logged_from
from features.synth.calendar import DAY, HOUR, Calendar
from features.synth.campaigns import Contacts
from features.synth.catalogue import Catalogue
from features.synth.orders import OrderPlan
from features.synth.population import Population
from features.synth.sampling import group_positions, grouped_cumsum
from features.synth.sessions import (
    DEVICE,
    EV,
    GUEST,
    INTENT,
    LANDING,
    NEVER_LOGGED,
    PURCHASE,
    SOURCES,
    Events,
    Sessions,
    browse_events,
    customer_device,
    draw_skus,
    draw_sources,
    visitor_of,
)

# Probability that an order was preceded by a visit viewing its products, per order channel
# (vocab.ORDER_CHANNELS order); a second visit is half as likely.
INTENT_VISIT = np.array([0.55, 0.45, 0.08, 0.08, 0.05, 0.05])
SEARCH_FIRST = 0.3  # checkout sessions starting with a search
VIEW_BEFORE_ADD = 0.5  # cart adds preceded by a product page (others come from favourites/reorder)
STAY_LOGGED_IN = 0.6  # web checkouts logged in from the first page; others log in to check out
# Traffic source of a visit that follows a contact, by contact channel (vocab.CONTACT_CHANNELS order).
CONTACT_SOURCE = np.array(
    [SOURCES.index(s) if s else -1 for s in ("email", "sms", None, None, "push", "ads")]
)


def _goods_per_order(
    lines: Lines, cat: Catalogue, n_orders: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Goods lines (not fees) and, per order, the index of its first goods line and their count."""
    goods = np.flatnonzero(cat.category[lines.product] >= 0)
    count = np.bincount(lines.order[goods], minlength=n_orders)
    return goods, np.cumsum(count) - count, count


def checkout_sessions(
    rng: np.random.Generator,
    pop: Population,
    cat: Catalogue,
    plan: OrderPlan,
    lines: Lines,
    contacts: Contacts,
    visitor_device: np.ndarray,
) -> tuple[Sessions, Events]:
    """One session per web/app order, ending with checkout_start then purchase at the order time."""
    it = plan.intents
    order = np.flatnonzero(np.isin(it.channel, (0, 1)))
    cust = it.customer[order]
    known, c = cust >= 0, np.maximum(cust, 0)
    device = np.where(it.channel[order] == 1, DEVICE["app"], pop.web_device[c])
    visitor = np.where(known, visitor_of(pop, c, device), it.visitor[order])
    device = np.where(known, device, visitor_device[np.maximum(it.visitor[order], 0)])
    goods, _, _ = _goods_per_order(lines, cat, it.t.size)
    goods = goods[np.isin(it.channel[lines.order[goods]], (0, 1))]
    session_of_order = np.full(it.t.size, -1)
    session_of_order[order] = np.arange(order.size)

    # Rows of (session, slot): landing 0, search 1, per line an optional view then the add (2 + k),
    # checkout and purchase last; sorting by slot gives each session's event order.
    view = rng.random(goods.size) < VIEW_BEFORE_ADD
    line_rows = np.repeat(goods, 1 + view)
    _, within = group_positions(1 + view)
    is_view = np.repeat(view, 1 + view) & (within == 0)
    line_session = session_of_order[lines.order[line_rows]]
    search = np.flatnonzero(rng.random(order.size) < SEARCH_FIRST)
    s_all = np.arange(order.size)
    big = np.iinfo(np.int32).max
    session = np.concatenate([s_all, search, line_session, s_all, s_all])
    slot = np.concatenate(
        [
            np.zeros(order.size),
            np.ones(search.size),
            2 + np.arange(line_rows.size),
            np.full(order.size, big - 1),
            np.full(order.size, big),
        ]
    )
    kinds = [EV["page_view"], EV["search"], None, EV["checkout_start"], EV["purchase"]]
    sizes = [order.size, search.size, line_rows.size, order.size, order.size]
    kind = np.concatenate(
        [
            np.where(is_view, EV["product_view"], EV["add_to_cart"]) if k is None else np.full(n, k)
            for k, n in zip(kinds, sizes, strict=True)
        ]
    )
    sku = np.concatenate(
        [np.full(order.size + search.size, -1), lines.product[line_rows], np.full(2 * order.size, -1)]
    )
    sort = np.lexsort((slot, session))
    session, kind, sku = session[sort], kind[sort], sku[sort]
    counts = np.bincount(session, minlength=order.size)
    _, position = group_positions(counts)

    # Times run backwards from the purchase: a few minutes to pay, under a minute per browsing step.
    first = position == 0
    gaps = np.where(first, 0, 3 + rng.exponential(45, session.size)).astype(np.int64)
    gaps[kind == EV["purchase"]] = rng.integers(30, 300, order.size)
    elapsed = grouped_cumsum(gaps, first)
    total = elapsed[np.cumsum(counts) - 1]
    t = it.t[order][session] - total[session] + elapsed

    u = rng.random(order.size)
    login = np.where(
        u < STAY_LOGGED_IN, 0, counts - 2 - (rng.random(order.size) * (counts - 2) * 0.5).astype(np.int64)
    )
    login = np.where(device == DEVICE["app"], 0, login)
    login = np.where(pop.web_account[c], login, counts - 2)  # the account is created at checkout
    contact = it.contact[order]
    source = np.where(contact >= 0, CONTACT_SOURCE[contacts.channel[np.maximum(contact, 0)]], -2)
    source = np.where(source == -2, draw_sources(rng, device), source)
    sessions = Sessions(
        visitor=visitor,
        owner=cust,
        logged_from=np.where(known, login, NEVER_LOGGED),
        start=t[first],
        device=device,
        source=source,
        kind=np.where(known, PURCHASE, GUEST),
        order=order,
    )
    return sessions, Events(session=session, position=position, t=t, type=kind, sku=sku)


def intent_sessions(
    rng: np.random.Generator, cal: Calendar, pop: Population, cat: Catalogue, plan: OrderPlan, lines: Lines
) -> tuple[Sessions, Events]:
    """Visits in the days before an order, viewing some of the products then bought."""
    it = plan.intents
    cust = np.maximum(it.customer, 0)
    eligible = (it.customer >= 0) & ((it.channel <= 1) | pop.web_account[cust])
    p = INTENT_VISIT[it.channel] * eligible
    u = rng.random(it.t.size)
    order = np.concatenate([np.flatnonzero(u < p), np.flatnonzero(u < p / 2)])
    start = it.t[order] - rng.integers(2 * HOUR, 6 * DAY, order.size)
    order, start = order[start >= cal.start], start[start >= cal.start]
    owner = it.customer[order]
    device = customer_device(rng, pop, owner)
    login = np.where(start >= pop.created_at[owner], logged_from(rng, pop, owner, device), NEVER_LOGGED)
    sessions = Sessions(
        visitor=visitor_of(pop, owner, device),
        owner=owner,
        logged_from=login,
        start=start,
        device=device,
        source=draw_sources(rng, device),
        kind=np.full(order.size, INTENT),
        order=order,
    )
    goods, first_line, n_lines = _goods_per_order(lines, cat, it.t.size)
    bought = np.minimum(n_lines[order], 1 + rng.poisson(1.0, order.size))
    counts = 1 + bought + rng.poisson(0.7, order.size)
    session, position = group_positions(counts)
    of_order = (position >= 1) & (position <= bought[session])
    o = order[session]
    pick = goods[first_line[o] + (rng.random(session.size) * n_lines[o]).astype(np.int64)]
    sku = np.where(
        of_order, lines.product[pick], draw_skus(rng, cal, cat, pop, owner[session], start[session])
    )
    sku = np.where(position == 0, -1, sku)
    gaps = np.where(position == 0, 0, 3 + rng.exponential(50, session.size)).astype(np.int64)
    t = start[session] + grouped_cumsum(gaps, position == 0)
    kind = np.where(position == 0, EV["page_view"], EV["product_view"])
    return sessions, Events(session=session, position=position, t=t, type=kind, sku=sku)


def landing_sessions(
    rng: np.random.Generator, cal: Calendar, pop: Population, cat: Catalogue, contacts: Contacts
) -> tuple[Sessions, Events]:
    """The visit a click opens when it does not end in an order."""
    idx = np.flatnonzero((contacts.clicked_at < cal.end) & (contacts.order_channel < 0))
    owner = contacts.customer[idx]
    channel = contacts.channel[idx]
    device = np.where(channel == 4, DEVICE["app"], customer_device(rng, pop, owner))
    sessions = Sessions(
        visitor=visitor_of(pop, owner, device),
        owner=owner,
        logged_from=logged_from(rng, pop, owner, device),
        start=contacts.clicked_at[idx] + 5,
        device=device,
        source=CONTACT_SOURCE[channel],
        kind=np.full(idx.size, LANDING),
        order=np.full(idx.size, -1),
    )
    return sessions, browse_events(rng, cal, cat, pop, sessions, mean_events=3.0)
