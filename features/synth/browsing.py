"""Visits that are not checkouts: customers browsing, prospects before signing up, strangers, and the
rare anonymous return of a customer who has left.
"""

from __future__ import annotations

import numpy as np

from features.synth.calendar import DAY, HOUR, Calendar, at_channel_hours, seasonal_arrivals
from features.synth.population import Population
from features.synth.sessions import (
    AFTER_CHURN,
    ANONYMOUS,
    BROWSE,
    DEVICE,
    NEVER_LOGGED,
    PROSPECT,
    Sessions,
    customer_device,
    draw_sources,
    visitor_of,
)

WEB_CHRISTMAS = 1.6  # December multiplier of web traffic
AFTER_CHURN_PER_MONTH = 0.08  # anonymous visits of a customer who stopped buying
PROSPECT_VISITS = 1.2  # mean anonymous visits in the month before signing up online
STRANGER_VISITS = 0.6  # extra visits per anonymous visitor beyond the first
STRANGER_EVENTS = 2.6  # mean events of a stranger's visit (many bounce)
STAY_LOGGED_IN = 0.55  # web sessions already logged in from the first page (cookie)
LOGS_IN_LATER = 0.25  # web sessions logging in after a few pages; the rest stay anonymous
STRANGER_DEVICES = np.array([0.32, 0.60, 0.08, 0.0])  # vocab.DEVICES order
ORDER_CHANNEL_OF_DEVICE = np.array([0, 0, 0, 1])  # browsing hours: web, web, web, app


def _web_hours(rng: np.random.Generator, cal: Calendar, t: np.ndarray, device: np.ndarray) -> np.ndarray:
    return at_channel_hours(rng, cal, t, ORDER_CHANNEL_OF_DEVICE[device], t - DAY, t + DAY)


def logged_from(
    rng: np.random.Generator, pop: Population, owner: np.ndarray, device: np.ndarray
) -> np.ndarray:
    """Event position from which a customer's session is logged in (apps stay logged in)."""
    u = rng.random(owner.size)
    later = np.where(u < STAY_LOGGED_IN + LOGS_IN_LATER, rng.integers(1, 4, owner.size), NEVER_LOGGED)
    web = np.where(u < STAY_LOGGED_IN, 0, later)
    out = np.where(device == DEVICE["app"], 0, web).astype(np.int64)
    return np.where(pop.web_account[owner], out, NEVER_LOGGED)


def customer_sessions(rng: np.random.Generator, cal: Calendar, pop: Population) -> Sessions:
    daily = cal.seasonal_profiles(np.array([WEB_CHRISTMAS]))
    rate = pop.web_sessions_per_month * 12 / 365.25
    owner, t = seasonal_arrivals(
        rng, cal, daily, np.zeros(pop.n, dtype=np.int64), pop.active_from, pop.stop, rate
    )
    keep = rng.random(owner.size) < pop.fade(owner, t)
    owner, t = owner[keep], t[keep]
    device = customer_device(rng, pop, owner)
    t = np.clip(_web_hours(rng, cal, t, device), pop.active_from[owner], pop.stop[owner] - HOUR)
    return Sessions(
        visitor=visitor_of(pop, owner, device),
        owner=owner,
        logged_from=logged_from(rng, pop, owner, device),
        start=t,
        device=device,
        source=draw_sources(rng, device),
        kind=np.full(owner.size, BROWSE),
        order=np.full(owner.size, -1),
    )


def after_churn_sessions(rng: np.random.Generator, cal: Calendar, pop: Population) -> Sessions:
    """A customer who left may still drop by, without logging in."""
    churned = np.flatnonzero(pop.churn_at < cal.end)
    daily = cal.seasonal_profiles(np.array([WEB_CHRISTMAS]))
    start, stop = pop.churn_at[churned] + DAY, np.full(churned.size, cal.end - HOUR)
    rate = np.full(churned.size, AFTER_CHURN_PER_MONTH * 12 / 365.25)
    entity, t = seasonal_arrivals(rng, cal, daily, np.zeros(churned.size, dtype=np.int64), start, stop, rate)
    owner = churned[entity]
    device = pop.web_device[owner]
    return _anonymous(rng, visitor_of(pop, owner, device), owner, t, device, AFTER_CHURN)


def prospect_sessions(rng: np.random.Generator, cal: Calendar, pop: Population) -> Sessions:
    """Visits before signing up online: the visitor is anonymous until the first order logs them in."""
    online = np.flatnonzero((pop.created_at >= cal.start) & np.isin(pop.acquisition, [0, 1]))
    counts = rng.poisson(PROSPECT_VISITS, online.size)
    owner = np.repeat(online, counts)
    t = pop.created_at[owner] - rng.integers(HOUR, 30 * DAY, owner.size)
    keep = t >= cal.start
    owner, t = owner[keep], t[keep]
    device = np.where(pop.acquisition[owner] == 1, DEVICE["app"], pop.web_device[owner])
    return _anonymous(rng, visitor_of(pop, owner, device), owner, t, device, PROSPECT)


def stranger_sessions(
    rng: np.random.Generator, cal: Calendar, n_visitors: int, first_visitor: int
) -> Sessions:
    """Visitors the shop never identifies (some of them check out as guests)."""
    counts = 1 + rng.poisson(STRANGER_VISITS, n_visitors)
    visitor = np.repeat(np.arange(n_visitors), counts)
    daily = cal.seasonal_profiles(np.array([WEB_CHRISTMAS]))[0]
    day = rng.choice(cal.n_days, size=visitor.size, p=daily / daily.sum())
    t = np.maximum(cal.origin + day * DAY + rng.integers(0, DAY, visitor.size), cal.start)
    device_of = rng.choice(STRANGER_DEVICES.size, size=n_visitors, p=STRANGER_DEVICES)
    device = device_of[visitor]
    t = np.minimum(_web_hours(rng, cal, t, device), cal.end - HOUR)
    return _anonymous(rng, first_visitor + visitor, np.full(visitor.size, -1), t, device, ANONYMOUS)


def _anonymous(
    rng: np.random.Generator,
    visitor: np.ndarray,
    owner: np.ndarray,
    t: np.ndarray,
    device: np.ndarray,
    kind: int,
) -> Sessions:
    n = visitor.size
    return Sessions(
        visitor=visitor,
        owner=owner,
        logged_from=np.full(n, NEVER_LOGGED),
        start=t,
        device=device,
        source=draw_sources(rng, device),
        kind=np.full(n, kind),
        order=np.full(n, -1),
    )
