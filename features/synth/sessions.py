"""Web and app visits as arrays: who, when, on which device, from which source; and browsing events.

A session belongs to a visitor (a cookie or an app install). Its events carry the customer id only from
the moment the visitor logs in (``logged_from``), so one visitor can be anonymous first and known
later.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from features import vocab
from features.synth.calendar import Calendar
from features.synth.catalogue import Catalogue, season_of_month
from features.synth.population import Population
from features.synth.profiles import type_arrays
from features.synth.sampling import draw_rows, group_positions, grouped_cumsum, run_ends

SOURCES: tuple[str, ...] = ("direct", "seo", "sea", "email", "social", "affiliate", "sms", "push", "ads")
# Traffic sources of organic visits (SOURCES order, then "unknown" = null).
WEB_SOURCE_MIX = np.array([0.34, 0.26, 0.14, 0.08, 0.07, 0.05, 0.0, 0.0, 0.0, 0.06])
APP_SOURCE_MIX = np.array([0.20, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.10, 0.0, 0.70])
NEVER_LOGGED = 1 << 20  # logged_from of a session that stays anonymous

# Session kinds (truth only).
BROWSE, PROSPECT, ANONYMOUS, AFTER_CHURN, LANDING, INTENT, PURCHASE, GUEST = range(8)
KINDS = ("browse", "prospect", "anonymous", "after_churn", "landing", "intent", "purchase", "guest")

EV = {name: i for i, name in enumerate(vocab.EVENT_TYPES)}
DEVICE = {name: i for i, name in enumerate(vocab.DEVICES)}
# Event type of the first event, then of later ones (vocab.EVENT_TYPES order).
FIRST_EVENT = np.array([0.60, 0.25, 0.15, 0, 0, 0, 0, 0])
LATER_EVENT = np.array([0.18, 0.50, 0.10, 0.13, 0.05, 0.04, 0, 0])
FAVOURITE_VIEW = 0.35  # share of a known visitor's product views on their favourites
EVENT_GAP_S = 50  # mean seconds between events


@dataclass(frozen=True)
class Sessions:
    visitor: np.ndarray
    owner: np.ndarray  # the customer behind the visitor (truth), -1 for a stranger
    logged_from: np.ndarray  # first event position carrying the customer id
    start: np.ndarray
    device: np.ndarray
    source: np.ndarray  # index into SOURCES, -1 unknown
    kind: np.ndarray
    order: np.ndarray  # order header index of a purchase session, else -1

    @property
    def n(self) -> int:
        return int(self.start.size)

    @staticmethod
    def concat(parts: list[Sessions]) -> Sessions:
        return Sessions(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Sessions)))


EVENT_DTYPES = {"session": np.int32, "position": np.int16, "t": np.int64, "type": np.int8, "sku": np.int16}


@dataclass(frozen=True)
class Events:
    session: np.ndarray  # index into the Sessions they were generated with
    position: np.ndarray
    t: np.ndarray
    type: np.ndarray  # index into vocab.EVENT_TYPES
    sku: np.ndarray  # product index, -1 none

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        """All parts in one, in compact dtypes: events are the largest arrays of the generator."""
        return Events(
            *(
                np.concatenate([getattr(p, f.name) for p in parts], dtype=EVENT_DTYPES[f.name])
                for f in fields(Events)
            )
        )

    def shifted(self, offset: int) -> Events:
        return Events(self.session + offset, self.position, self.t, self.type, self.sku)


def draw_sources(rng: np.random.Generator, device: np.ndarray) -> np.ndarray:
    probs = np.stack([WEB_SOURCE_MIX, APP_SOURCE_MIX])
    src = draw_rows(rng, probs / probs.sum(axis=1, keepdims=True), (device == DEVICE["app"]).astype(np.int64))
    return np.where(src == len(SOURCES), -1, src)


def customer_device(rng: np.random.Generator, pop: Population, customer: np.ndarray) -> np.ndarray:
    """App or the customer's browser, in proportion to their app and web ordering."""
    mix = pop.channel_mix[customer]
    app_share = np.where(pop.app_user[customer], mix[:, 1] / np.maximum(mix[:, 0] + mix[:, 1], 1e-9), 0.0)
    return np.where(rng.random(customer.size) < app_share, DEVICE["app"], pop.web_device[customer])


def visitor_of(pop: Population, customer: np.ndarray, device: np.ndarray) -> np.ndarray:
    """Customer i browses as visitor i, and as visitor n + i in the app."""
    return np.where(device == DEVICE["app"], pop.n + customer, customer)


def draw_skus(
    rng: np.random.Generator, cal: Calendar, cat: Catalogue, pop: Population, owner: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Products a visitor looks at: known visitors favour their favourites and categories."""
    known = owner >= 0
    rows = np.where(known, owner, 0)
    category = draw_rows(rng, pop.category_mix, rows)
    mix = type_arrays().category_mix.T @ type_arrays().share
    category = np.where(known, category, rng.choice(mix.size, size=owner.size, p=mix / mix.sum()))
    sku = cat.sampler.draw(rng, category, season_of_month(cal.month_of(t)))
    slot = rng.integers(0, pop.favourites.shape[1], owner.size)
    favourite = known & (rng.random(owner.size) < FAVOURITE_VIEW)
    return np.where(favourite, pop.favourites[rows, slot], sku)


def browse_events(
    rng: np.random.Generator,
    cal: Calendar,
    cat: Catalogue,
    pop: Population,
    sessions: Sessions,
    mean_events: float | np.ndarray = 3.9,
) -> Events:
    """Events of visits without a purchase: views, searches, carts, wishlists, some abandoned checkouts."""
    extra = np.maximum(np.broadcast_to(mean_events, sessions.n) - 1.0, 1.0)
    counts = 1 + np.minimum(rng.geometric(1.0 / extra) - 1, 40)
    session, position = group_positions(counts)
    first = position == 0
    u = rng.random(session.size)
    kind = np.where(
        first,
        np.searchsorted(np.cumsum(FIRST_EVENT) / FIRST_EVENT.sum(), u, side="right"),
        np.searchsorted(np.cumsum(LATER_EVENT) / LATER_EVENT.sum(), u, side="right"),
    )
    gaps = np.where(first, 0, 3 + rng.exponential(EVENT_GAP_S, session.size)).astype(np.int64)
    t = sessions.start[session] + grouped_cumsum(gaps, first)
    owner = sessions.owner[session]
    sku = draw_skus(rng, cal, cat, pop, owner, t)
    # A cart add follows the product just viewed; a removal takes back the last add of the session.
    prev_view = ~first & (np.roll(kind, 1) == EV["product_view"])
    sku = np.where((kind == EV["add_to_cart"]) & prev_view, np.roll(sku, 1), sku)
    adds = kind == EV["add_to_cart"]
    last_add = np.maximum.accumulate(np.where(adds | first, np.arange(session.size), 0))
    has_add = adds[last_add] & (session[last_add] == session)
    removal = (kind == EV["remove_from_cart"]) & has_add & (last_add < np.arange(session.size))
    kind = np.where((kind == EV["remove_from_cart"]) & ~removal, EV["product_view"], kind)
    sku = np.where(removal, sku[last_add], sku)
    # Some carts get as far as the checkout page.
    last = run_ends(session)
    earlier_add = has_add & (last_add < np.arange(session.size))
    checkout = last & earlier_add & (rng.random(session.size) < 0.15)
    kind = np.where(checkout, EV["checkout_start"], kind)
    with_sku = np.isin(
        kind, [EV["product_view"], EV["add_to_cart"], EV["remove_from_cart"], EV["wishlist_add"]]
    )
    return Events(session=session, position=position, t=t, type=kind, sku=np.where(with_sku, sku, -1))
