"""The hidden truth behind the data: written beside it (``truth/``), never inside a contract table, so
models can be scored on what they should have recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from features import columns as c
from features import vocab
from features.campaigns.windows import window_days
from features.synth.assemble import Ids, frame
from features.synth.calendar import DAY
from features.synth.campaigns import OFFERS, CampaignTable
from features.synth.ids import NEVER, lookup, to_datetime
from features.synth.orders import ORDER_SOURCES, OrderPlan
from features.synth.population import Population
from features.synth.profiles import CATEGORIES, TYPE_NAMES
from features.synth.sessions import KINDS, Sessions
from features.synth.uplift import RESPONSE_TYPES, Holdout, ResponseTypes, potential_conversions


def customers_truth(pop: Population, ids: Ids) -> pd.DataFrame:
    columns: dict[str, object] = {
        c.CUSTOMER_ID: ids.customer.all(),
        "customer_type": lookup(TYPE_NAMES, pop.type),
        "churn_at": to_datetime(pop.churn_at),
        "purchase_rate": pop.orders_per_year,  # expected orders a year while active
        "rhythm_days": np.where(np.isfinite(pop.rhythm_gap_days), pop.rhythm_gap_days, np.nan),
        "preferred_channel": lookup(vocab.ORDER_CHANNELS, pop.channel_mix.argmax(axis=1)),
        "basket_multiplier": pop.basket_mult,
        "discount_sensitivity": pop.discount_sensitivity,
        "web_sessions_per_month": pop.web_sessions_per_month,
    }
    columns.update(
        {f"channel_share_{ch}": pop.channel_mix[:, i] for i, ch in enumerate(vocab.ORDER_CHANNELS)}
    )
    columns.update({f"affinity_{cat}": pop.category_mix[:, i] for i, cat in enumerate(CATEGORIES)})
    columns.update({f"response_{ch}": pop.response[:, i] for i, ch in enumerate(vocab.CONTACT_CHANNELS)})
    out = frame(columns)  # type: ignore[arg-type]
    return out.iloc[np.argsort(pop.created_at, kind="stable")].reset_index(drop=True)


def sessions_truth(sessions: Sessions, in_id_order: np.ndarray, ids: Ids) -> pd.DataFrame:
    """Who is really behind each visit, and the order it checked out (purchase, guest) or preceded
    (intent)."""
    s = in_id_order
    return frame(
        {
            c.SESSION_ID: ids.session_numbering(s.size, np.arange(s.size)).all(),
            "owner_customer_id": ids.customer.of(sessions.owner[s]),
            "kind": lookup(KINDS, sessions.kind[s]),
            "started_at": to_datetime(sessions.start[s]),
            c.ORDER_ID: ids.order.of(sessions.order[s]),
        }
    )


def orders_truth(plan: OrderPlan, ids: Ids) -> pd.DataFrame:
    """Why each order exists: first order, replenishment clock, unplanned, campaign, cart, wishlist, guest."""
    return frame({c.ORDER_ID: ids.order.all(), "source": lookup(ORDER_SOURCES, plan.intents.source)})


def replenishment_truth(pop: Population, ids: Ids) -> pd.DataFrame:
    """The staples each customer restocks, and every how many days."""
    cust, slot = np.nonzero(pop.replenish >= 0)
    every = pop.replenish_every[cust, slot] * pop.rhythm_gap_days[cust]
    keep = np.isfinite(every)
    cust, slot, every = cust[keep], slot[keep], every[keep]
    return frame(
        {
            c.CUSTOMER_ID: ids.customer.of(cust),
            c.SKU: ids.sku.take(pa.array(pop.replenish[cust, slot])),
            "every_days": every,
        }
    )


def response_types_truth(
    types: ResponseTypes, table: CampaignTable, scheduled: np.ndarray, ids: Ids
) -> pd.DataFrame:
    """Each customer's hidden response type for every (offer, channel) a scheduled campaign made."""
    pairs = sorted({(int(table.offer[k]), int(table.channel[k])) for k in scheduled})
    n = types.pop.n
    customer = np.tile(np.arange(n), len(pairs))
    offer = np.repeat([o for o, _ in pairs], n)
    channel = np.repeat([ch for _, ch in pairs], n)
    return frame(
        {
            c.CUSTOMER_ID: ids.customer.of(customer),
            c.OFFER_ID: lookup(OFFERS, offer),
            c.CHANNEL: lookup(vocab.CONTACT_CHANNELS, channel),
            "response_type": lookup(RESPONSE_TYPES, types.of(customer, offer, channel)),
        }
    )


def assignments_truth(
    held: Holdout, order: np.ndarray, plan: OrderPlan, table: CampaignTable, ids: Ids
) -> pd.DataFrame:
    """Per assignment (rows in the order of the ``assignments`` table): the response type and both
    potential outcomes — the campaign's own order, and any order in the campaign's window — in the
    treated and the control world. Their difference is the true effect the results estimate."""
    channel = table.channel[held.campaign]
    seconds = np.array([window_days(ch) * DAY for ch in vocab.CONTACT_CHANNELS], dtype=np.int64)[channel]
    if_treated, if_control = potential_conversions(held, seconds, plan.intents.customer, plan.intents.t)
    return frame(
        {
            c.CAMPAIGN_ID: lookup(ids.campaign, held.campaign[order]),
            c.CUSTOMER_ID: ids.customer.of(held.customer[order]),
            "response_type": lookup(RESPONSE_TYPES, held.response_type[order]),
            "campaign_order_if_treated": held.order_if_treated[order] < NEVER,
            "campaign_order_if_control": held.order_if_control[order] < NEVER,
            "converts_if_treated": if_treated[order],
            "converts_if_control": if_control[order],
        }
    )
