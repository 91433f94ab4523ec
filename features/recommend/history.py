"""Per-customer purchase and browsing history in compact arrays (CSR-like offsets), built before ``as_of``.

Kept apart from the served :class:`~features.recommend.recommender.Recommender` so registered models hold
aggregates only: histories are rebuilt from the data (or the online store) where they are used. Customers
who have not granted `profiling` are left out, so they are served exactly as unknown visitors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features import columns as c
from features.consent_gate import check_consent
from features.dataset import Dataset, rows_before
from features.recommend.catalogue import Catalogue
from features.recommend.encoded import DAY, INTEREST_EVENTS, days_before, encoded
from features.recommend.history_arrays import latest_views, purchase_stats

__all__ = ["DAY", "INTEREST_EVENTS", "MAX_VIEWED", "CustomerHistory", "Purchases"]

# How many of the latest products a customer viewed are kept.
MAX_VIEWED = 20


@dataclass(frozen=True)
class Purchases:
    """One customer's history, as handed to candidate generation (all numpy)."""

    items: np.ndarray  # item indices bought
    days: np.ndarray  # distinct order days per item
    days_since: np.ndarray  # days since the item was last bought
    gap: np.ndarray  # the customer's usual gap between purchases of the item, nan if bought once
    viewed: np.ndarray  # item indices viewed or carted on the web, latest first
    viewed_days_since: np.ndarray  # days since each was last viewed or carted
    carted: np.ndarray  # bool: put in the cart or wish list, not only viewed
    region: str  # "" when unknown
    orders: int
    days_since_last: float
    days_since_first: float
    # v3, aligned with ``viewed`` (empty when the caller does not know them: read as 1 session, no wish)
    view_sessions: np.ndarray = field(default_factory=lambda: np.zeros(0))  # distinct visits showing it
    wishlisted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # put in the wish list


def _offsets(sorted_codes: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(sorted_codes, np.arange(n + 1)).astype(np.int64)


@dataclass(frozen=True)
class CustomerHistory:
    as_of: pd.Timestamp
    customer_ids: np.ndarray  # sorted str
    region: np.ndarray  # int code into ``regions``
    regions: tuple[str, ...]
    orders: np.ndarray
    days_since_last: np.ndarray
    days_since_first: np.ndarray
    offsets: np.ndarray
    items: np.ndarray
    days: np.ndarray
    days_since: np.ndarray
    gap: np.ndarray
    view_offsets: np.ndarray
    viewed: np.ndarray
    viewed_days_since: np.ndarray
    carted: np.ndarray
    view_sessions: np.ndarray
    wishlisted: np.ndarray

    @classmethod
    def build(
        cls,
        dataset: Dataset,
        as_of: pd.Timestamp,
        catalogue: Catalogue,
        require_profiling_consent: bool = True,
    ) -> CustomerHistory:
        enc = encoded(dataset, catalogue)
        customers = rows_before("customers", dataset.customers, pd.Timestamp(as_of)).reset_index(drop=True)
        ids = customers[c.CUSTOMER_ID]
        if require_profiling_consent:
            consents = rows_before("consents", dataset.consents, pd.Timestamp(as_of)).reset_index(drop=True)
            ids = ids[check_consent(consents, ids, as_of, needs_profiling=True).allowed]
        customer_ids = np.sort(ids.to_numpy(dtype=str))
        regions_of = customers.set_index(c.CUSTOMER_ID)[c.REGION].reindex(customer_ids)
        region_codes, regions = pd.factorize(regions_of.astype(str), sort=True)
        n = len(customer_ids)
        # history position of each customer code; the extra last slot answers -1 (guests) with -1
        position = np.full(len(enc.customer_ids) + 1, -1, dtype=np.int32)
        position[np.searchsorted(enc.customer_ids, customer_ids)] = np.arange(n)

        rows = enc.order_rows(as_of) & (enc.quantity > 0) & (enc.order_customer >= 0)
        cust = position[enc.order_customer[rows]]
        item = enc.order_item[rows].astype(np.int64)
        known = (item >= 0) & catalogue.is_product[np.maximum(item, 0)] & (cust >= 0)
        day = np.floor(days_before(as_of, enc.ordered_at[rows][known]))
        bought = purchase_stats(cust[known], item[known], day, n, len(catalogue))
        del rows, cust, item, known, day

        kept = enc.event_rows(as_of) & enc.interest & (enc.event_customer >= 0)
        ev = enc.latest_first[kept[enc.latest_first]]  # latest first, ties in row order
        del kept
        ev_cust = position[enc.event_customer[ev]]
        ev_item = enc.event_item[ev]
        ok = (ev_item >= 0) & (ev_cust >= 0)
        ev, ev_cust, ev_item = ev[ok], ev_cust[ok], ev_item[ok]
        del ok
        views = latest_views(
            ev_cust,
            ev_item,
            enc.session[ev],
            enc.carted[ev],
            enc.wished[ev],
            len(catalogue),
            MAX_VIEWED,
        )
        del ev_cust, ev_item
        # the day of each kept item's latest view only: days_before is elementwise, so the same floats
        viewed_day = np.floor(days_before(as_of, enc.occurred_at[ev[views.row]]))

        return cls(
            as_of=pd.Timestamp(as_of),
            customer_ids=customer_ids,
            region=region_codes.astype(np.int32),
            regions=tuple(regions.tolist()),
            orders=bought.orders,
            days_since_last=bought.since_last,
            days_since_first=bought.since_first,
            offsets=_offsets(bought.owner, n),
            items=bought.items.astype(np.int64),
            days=bought.days,
            days_since=bought.days_since,
            gap=bought.gap,
            view_offsets=_offsets(views.owner, n),
            viewed=views.items.astype(np.int64),
            viewed_days_since=viewed_day.astype(np.float64),
            carted=views.carted.astype(bool),
            view_sessions=views.sessions,
            wishlisted=views.wished.astype(bool),
        )

    def position(self, customer_id: str | None) -> int:
        if customer_id is None or len(self.customer_ids) == 0:
            return -1
        pos = int(np.searchsorted(self.customer_ids, customer_id))
        return pos if pos < len(self.customer_ids) and self.customer_ids[pos] == customer_id else -1

    def of(self, customer_id: str | None) -> Purchases | None:
        """The customer's history, or None for unknown customers, visitors and refused profiling."""
        i = self.position(customer_id)
        if i < 0:
            return None
        s, e = self.offsets[i], self.offsets[i + 1]
        vs, ve = self.view_offsets[i], self.view_offsets[i + 1]
        return Purchases(
            items=self.items[s:e],
            days=self.days[s:e],
            days_since=self.days_since[s:e],
            gap=self.gap[s:e],
            viewed=self.viewed[vs:ve],
            viewed_days_since=self.viewed_days_since[vs:ve],
            carted=self.carted[vs:ve],
            view_sessions=self.view_sessions[vs:ve],
            wishlisted=self.wishlisted[vs:ve],
            region=self.regions[self.region[i]] if self.region[i] >= 0 else "",
            orders=float(self.orders[i]),
            days_since_last=float(self.days_since_last[i]),
            days_since_first=float(self.days_since_first[i]),
        )
