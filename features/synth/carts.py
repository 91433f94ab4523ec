"""What browsing leads to: abandoned carts (reminded by e-mail, or recovered unprompted), wishlists
bought later, and retargeting ads for products viewed while logged in."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from features.synth.calendar import DAY, HOUR, Calendar
from features.synth.campaigns import CH, CampaignTable, Contacts, respond
from features.synth.consents import Consents
from features.synth.orders import CART, WISHLIST, OrderIntents
from features.synth.population import Population
from features.synth.sampling import run_ends
from features.synth.sessions import BROWSE, DEVICE, EV, Events, Sessions

CART_REMINDER_BOOST = 4.0  # conversion odds of a clicked cart reminder, relative to a newsletter
NATURAL_RECOVERY = 0.07  # carts bought later without a reminder
WISHLIST_CONVERSION = 0.12
RETARGET_SHARE = 0.3  # logged-in sessions with a product view that trigger an ad impression


def _last_per_session(events: Events, mask: np.ndarray) -> np.ndarray:
    """Index of the last masked event of each session that has one (events sorted by session)."""
    idx = np.flatnonzero(mask)
    s = events.session[idx]
    return idx[run_ends(s)]


def browsing_outcomes(
    rng: np.random.Generator,
    cal: Calendar,
    pop: Population,
    consents: Consents,
    table: CampaignTable,
    sessions: Sessions,
    events: Events,
) -> tuple[Contacts, OrderIntents]:
    """Triggered contacts (cart reminders, retargeting ads) and the orders browsing leads to."""
    own = (sessions.kind[events.session] == BROWSE) & (sessions.owner[events.session] >= 0)
    logged = events.position >= sessions.logged_from[events.session]
    last = run_ends(events.session)
    ended = np.zeros(sessions.n, dtype=np.int64)
    ended[events.session[last]] = events.t[last]
    app = (sessions.device == DEVICE["app"]).astype(np.int64)  # order channel: web 0, app 1

    cart = _last_per_session(events, own & (events.type == EV["add_to_cart"]))
    cs = events.session[cart]
    cust, end, sku = sessions.owner[cs], ended[cs], events.sku[cart]
    sent = end + rng.integers(HOUR, 24 * HOUR, cart.size)
    remind = logged[cart] & (sent < cal.end) & (sent < pop.churn_at[cust])
    remind &= consents.granted_at(cust, np.full(cart.size, CH["email"]), sent)
    r = np.flatnonzero(remind)
    reminders = respond(
        rng,
        cal,
        pop,
        table,
        cust[r],
        np.full(r.size, table.index("cart_reminder")),
        sent[r],
        CART_REMINDER_BOOST,
    )
    reminders = replace(
        reminders, order_channel=np.where(reminders.order_channel >= 0, app[cs[r]], -1), sku=sku[r]
    )
    recovered = np.zeros(cart.size, dtype=bool)
    recovered[r] = reminders.order_channel >= 0
    natural = np.flatnonzero(~recovered & (rng.random(cart.size) < NATURAL_RECOVERY))
    later = end[natural] + rng.integers(12 * HOUR, 7 * DAY, natural.size)
    carts = OrderIntents.make(cust[natural], later, CART, channel=app[cs[natural]], sku=sku[natural])

    wish = np.flatnonzero(own & (events.type == EV["wishlist_add"]))
    wish = wish[rng.random(wish.size) < WISHLIST_CONVERSION]
    ws = events.session[wish]
    wished = OrderIntents.make(
        sessions.owner[ws],
        events.t[wish] + rng.integers(2 * DAY, 30 * DAY, wish.size),
        WISHLIST,
        channel=app[ws],
        sku=events.sku[wish],
    )

    view = _last_per_session(events, own & logged & (events.type == EV["product_view"]))
    view = view[rng.random(view.size) < RETARGET_SHARE]
    vs = events.session[view]
    cust = sessions.owner[vs]
    sent = ended[vs] + rng.integers(HOUR, 72 * HOUR, view.size)
    ok = (sent < cal.end) & consents.granted_at(cust, np.full(view.size, CH["ads"]), sent)
    view, vs, cust, sent = view[ok], vs[ok], cust[ok], sent[ok]
    first_month = np.datetime64(cal.start, "s").astype("datetime64[M]")
    months = (sent.astype("datetime64[s]").astype("datetime64[M]") - first_month).astype(np.int64)
    first_retarget = next(i for i, name in enumerate(table.names) if name.startswith("retarget_"))
    ads = respond(rng, cal, pop, table, cust, first_retarget + months, sent)
    ads = replace(ads, order_channel=np.where(ads.order_channel >= 0, app[vs], -1), sku=events.sku[view])
    return Contacts.concat([reminders, ads]), OrderIntents.concat([carts, wished])
