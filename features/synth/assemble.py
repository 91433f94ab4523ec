"""From the generator's index arrays to the seven contract tables (ids, strings, canonical dtypes) and the
hidden-truth tables. Ids are numbered in time order, as a real system would issue them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from features import columns as c
from features import vocab
from features.dataset import conform
from features.schema import TABLES
from features.synth.basket import Lines, Returns
from features.synth.campaigns import OFFERS, CampaignTable, Contacts
from features.synth.catalogue import Catalogue
from features.synth.consents import PURPOSES, LedgerRows
from features.synth.geo import REGION_NAMES
from features.synth.id_blocks import IdBlocks
from features.synth.ids import Numbering, lookup, prefixed_ids, to_datetime, to_series
from features.synth.orders import OrderPlan
from features.synth.population import Population
from features.synth.sampling import group_positions
from features.synth.sessions import SOURCES, Events, Sessions
from features.synth.uplift import Holdout


@dataclass(frozen=True)
class Ids:
    customer: Numbering  # by customer index
    order: Numbering  # by plan order index
    campaign: pa.Array
    sku: pa.Array
    blocks: IdBlocks  # where this part's ids start: all at zero for a data set made in one piece

    def session_numbering(self, n_sessions: int, rank: np.ndarray) -> Numbering:
        """Session ids by rank (start, visitor) within this part."""
        block = self.blocks.session
        return Numbering("S", block.width_for(n_sessions, 8), rank + 1 + block.offset)


def frame(columns: dict[str, pa.Array | np.ndarray | pd.api.extensions.ExtensionArray]) -> pd.DataFrame:
    return pd.DataFrame({k: to_series(v) if isinstance(v, pa.Array) else v for k, v in columns.items()})


def nullable_int(values: np.ndarray, known: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.int64), ~known)


def make_ids(
    pop: Population, plan: OrderPlan, table: CampaignTable, cat: Catalogue, blocks: IdBlocks | None = None
) -> Ids:
    # Customer numbers follow record creation; orders are already in time order.
    blocks = blocks or IdBlocks()
    number = np.empty(pop.n, dtype=np.int64)
    number[np.argsort(pop.created_at, kind="stable")] = blocks.customer.numbers(pop.n)
    n_orders = plan.intents.t.size
    return Ids(
        customer=Numbering("C", blocks.customer.width_for(pop.n, 6), number),
        order=Numbering("O", blocks.order.width_for(n_orders, 7), blocks.order.numbers(n_orders)),
        campaign=pa.array(list(table.names), type=pa.large_string()),
        sku=pa.array(cat.products[c.SKU].tolist(), type=pa.large_string()),
        blocks=blocks,
    )


def customers_table(pop: Population, ids: Ids, has_web_account: np.ndarray) -> pd.DataFrame:
    order = np.argsort(pop.created_at, kind="stable")
    out = frame(
        {
            c.CUSTOMER_ID: ids.customer.all(),
            c.CREATED_AT: to_datetime(pop.created_at),
            c.REGION: lookup(REGION_NAMES, pop.region),
            c.POSTCODE: prefixed_ids("", np.maximum(pop.postcode, 0), 5, pop.postcode >= 0),
            c.BIRTH_YEAR: nullable_int(pop.birth_year, pop.birth_known),
            c.GENDER: lookup(vocab.GENDERS, pop.gender),
            c.ACQUISITION_CHANNEL: lookup(vocab.ACQUISITION_CHANNELS, pop.acquisition),
            c.HAS_WEB_ACCOUNT: has_web_account,
            c.LOYALTY_CARD_ID: prefixed_ids("FID", ids.customer.number, 8, pop.loyalty_card),
        }
    )
    return conform(TABLES["customers"], out.iloc[order])


def orders_table(plan: OrderPlan, lines: Lines, returns: Returns, ids: Ids) -> pd.DataFrame:
    it = plan.intents
    rt = np.argsort(returns.t, kind="stable")
    back = returns.lines
    block = ids.blocks.ret
    return_ids = prefixed_ids("R", block.numbers(rt.size), block.width_for(rt.size, 6))
    header = np.concatenate([lines.order, back.order[rt]])
    out = frame(
        {
            c.ORDER_ID: pa.concat_arrays([ids.order.of(lines.order), return_ids]),
            c.CUSTOMER_ID: ids.customer.of(it.customer[header]),
            c.ORDERED_AT: to_datetime(np.concatenate([it.t[lines.order], returns.t[rt]])),
            c.CHANNEL: lookup(vocab.ORDER_CHANNELS, it.channel[header]),
            c.SKU: lookup(ids.sku, np.concatenate([lines.product, back.product[rt]])),
            c.QUANTITY: np.concatenate([lines.quantity, back.quantity[rt]]),
            c.UNIT_PRICE: np.concatenate([lines.price, back.price[rt]]),
            c.DISCOUNT: np.concatenate([lines.discount, back.discount[rt]]),
            c.CAMPAIGN_ID: lookup(
                ids.campaign, np.concatenate([it.campaign[lines.order], np.full(rt.size, -1)])
            ),
        }
    )
    return conform(TABLES["orders"], out)


def contacts_table(contacts: Contacts, plan: OrderPlan, ids: Ids) -> tuple[pd.DataFrame, pa.Array]:
    order = np.argsort(contacts.sent_at, kind="stable")
    converted = np.full(contacts.customer.size, -1)
    has = np.flatnonzero(plan.intents.contact >= 0)
    converted[plan.intents.contact[has]] = has
    block = ids.blocks.contact
    contact_ids = prefixed_ids("K", block.numbers(order.size), block.width_for(order.size, 8))
    out = frame(
        {
            c.CONTACT_ID: contact_ids,
            c.CUSTOMER_ID: ids.customer.of(contacts.customer[order]),
            c.CAMPAIGN_ID: lookup(ids.campaign, contacts.campaign[order]),
            c.OFFER_ID: lookup(OFFERS, contacts.offer[order]),
            c.CHANNEL: lookup(vocab.CONTACT_CHANNELS, contacts.channel[order]),
            c.SENT_AT: to_datetime(contacts.sent_at[order]),
            c.OPENED_AT: to_datetime(contacts.opened_at[order]),
            c.CLICKED_AT: to_datetime(contacts.clicked_at[order]),
            c.CONVERTED_ORDER_ID: ids.order.of(converted[order]),
        }
    )
    return conform(TABLES["contacts"], out), contact_ids


def assignments_table(held: Holdout, table: CampaignTable, ids: Ids) -> tuple[pd.DataFrame, np.ndarray]:
    """Every scheduled campaign's pick, treated and control, in time order; also that order."""
    order = np.argsort(held.assigned_at, kind="stable")
    campaign = held.campaign[order]
    offer = table.offer[campaign]
    out = frame(
        {
            c.CAMPAIGN_ID: lookup(ids.campaign, campaign),
            c.CUSTOMER_ID: ids.customer.of(held.customer[order]),
            c.ASSIGNED_AT: to_datetime(held.assigned_at[order]),
            c.GROUP: lookup(vocab.ASSIGNMENT_GROUPS, held.control[order].astype(np.int64)),
            c.CHANNEL: lookup(vocab.CONTACT_CHANNELS, table.channel[campaign]),
            c.OFFER_ID: lookup(OFFERS, offer),
        }
    )
    return conform(TABLES["assignments"], out), order


def events_table(
    sessions: Sessions, events: Events, pop: Population, ids: Ids, end: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Events in session order; also whether each customer logged in, and the sessions in id order."""
    rank = np.empty(sessions.n, dtype=np.int64)
    by_start = np.lexsort((sessions.visitor, sessions.start))
    rank[by_start] = np.arange(sessions.n)
    # Events are grouped by session in position order: lay the groups out in session rank order.
    per_session = np.bincount(events.session, minlength=sessions.n)
    first_event = np.cumsum(per_session) - per_session
    group, offset = group_positions(per_session[by_start])
    keep = first_event[by_start][group] + offset
    keep = keep[events.t[keep] < end]
    s, t = events.session[keep], events.t[keep]
    owner = sessions.owner[s]
    o = np.maximum(owner, 0)
    logged = (owner >= 0) & (events.position[keep] >= sessions.logged_from[s])
    logged &= (t >= pop.created_at[o]) & (t < pop.churn_at[o])
    n_visitors = int(sessions.visitor.max()) + 1 if sessions.n else 1
    event, visitor = ids.blocks.event, ids.blocks.visitor
    out = frame(
        {
            c.EVENT_ID: prefixed_ids("E", event.numbers(keep.size), event.width_for(keep.size, 9)),
            c.OCCURRED_AT: to_datetime(t),
            c.VISITOR_ID: prefixed_ids(
                "V", sessions.visitor[s] + 1 + visitor.offset, visitor.width_for(n_visitors, 7)
            ),
            c.CUSTOMER_ID: ids.customer.of(np.where(logged, owner, -1)),
            c.SESSION_ID: ids.session_numbering(sessions.n, rank).of(s),
            c.EVENT_TYPE: lookup(vocab.EVENT_TYPES, events.type[keep]),
            c.SKU: lookup(ids.sku, events.sku[keep]),
            c.DEVICE: lookup(vocab.DEVICES, sessions.device[s]),
            c.SOURCE: lookup(SOURCES, sessions.source[s]),
        }
    )
    logged_customers = np.zeros(pop.n, dtype=bool)
    logged_customers[owner[logged]] = True
    return conform(TABLES["events"], out), logged_customers, by_start


def consents_table(rows: LedgerRows, ids: Ids) -> pd.DataFrame:
    out = frame(
        {
            c.CUSTOMER_ID: ids.customer.of(rows.customer),
            c.PURPOSE: lookup(PURPOSES, rows.purpose),
            c.GRANTED: rows.granted,
            c.RECORDED_AT: to_datetime(rows.recorded_at),
            c.SOURCE: lookup(vocab.CONSENT_SOURCES, rows.source),
            c.PROOF: rows.proof,
        }
    )
    return conform(TABLES["consents"], out)
