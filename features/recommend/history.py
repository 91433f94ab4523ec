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
from features.dataset import Dataset
from features.recommend.catalogue import Catalogue

# Web events that show interest in a product, and how many of the latest ones a customer keeps.
INTEREST_EVENTS: tuple[str, ...] = ("product_view", "add_to_cart", "wishlist_add")
MAX_VIEWED = 20
DAY = pd.Timedelta(days=1)


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
        past = dataset.before(as_of)
        ids = past.customers[c.CUSTOMER_ID]
        if require_profiling_consent:
            ids = ids[check_consent(past.consents, ids, as_of, needs_profiling=True).allowed]
        customer_ids = np.sort(ids.to_numpy(dtype=str))
        regions_of = past.customers.set_index(c.CUSTOMER_ID)[c.REGION].reindex(customer_ids)
        region_codes, regions = pd.factorize(regions_of.astype(str), sort=True)
        n = len(customer_ids)

        o = past.orders[(past.orders[c.QUANTITY] > 0) & past.orders[c.CUSTOMER_ID].notna()]
        cust = np.searchsorted(customer_ids, o[c.CUSTOMER_ID].to_numpy(dtype=str)).clip(0, max(n - 1, 0))
        item = catalogue.index_of(o[c.SKU].to_numpy(dtype=str))
        known = (
            (item >= 0)
            & catalogue.is_product[np.maximum(item, 0)]
            & (customer_ids[cust] == o[c.CUSTOMER_ID].to_numpy(dtype=str))
            if n
            else item < -1
        )
        day = ((as_of - o[c.ORDERED_AT]) / DAY).to_numpy(dtype=np.float64)
        lines = pd.DataFrame({"cust": cust[known], "item": item[known], "day": np.floor(day[known])})
        lines = lines.drop_duplicates()
        per_item = (
            lines.groupby(["cust", "item"], sort=True)["day"].agg(["count", "min", "max"]).reset_index()
        )
        # usual gap: span between first and last purchase over the number of gaps
        gap = np.where(
            per_item["count"] > 1,
            (per_item["max"] - per_item["min"]) / (per_item["count"] - 1).clip(lower=1),
            np.nan,
        )
        per_cust = lines.groupby("cust")["day"].agg(["nunique", "min", "max"])
        orders = np.zeros(n, dtype=np.float64)
        since_last = np.full(n, np.nan)
        since_first = np.full(n, np.nan)
        orders[per_cust.index.to_numpy()] = per_cust["nunique"].to_numpy()
        since_last[per_cust.index.to_numpy()] = per_cust["min"].to_numpy()
        since_first[per_cust.index.to_numpy()] = per_cust["max"].to_numpy()

        ev = past.events[past.events[c.EVENT_TYPE].isin(INTEREST_EVENTS) & past.events[c.CUSTOMER_ID].notna()]
        ev = ev.sort_values(c.OCCURRED_AT, ascending=False, kind="stable")
        ev_cust = np.searchsorted(customer_ids, ev[c.CUSTOMER_ID].to_numpy(dtype=str)).clip(0, max(n - 1, 0))
        ev_item = catalogue.index_of(ev[c.SKU].fillna("").to_numpy(dtype=str))
        ok = (
            (ev_item >= 0) & (customer_ids[ev_cust] == ev[c.CUSTOMER_ID].to_numpy(dtype=str))
            if n
            else ev_item < -1
        )
        ev_day = ((as_of - ev[c.OCCURRED_AT]) / DAY).to_numpy(dtype=np.float64)
        carted = (ev[c.EVENT_TYPE] != "product_view").to_numpy()
        wished = (ev[c.EVENT_TYPE] == "wishlist_add").to_numpy()
        views = pd.DataFrame(
            {
                "cust": ev_cust[ok],
                "item": ev_item[ok],
                "day": np.floor(ev_day[ok]),
                "carted": carted[ok],
                "wished": wished[ok],
                "session": ev[c.SESSION_ID].to_numpy(dtype=str)[ok],
            }
        )
        by_pair = views.groupby(["cust", "item"])
        views["carted"] = by_pair["carted"].transform("max")
        views["wished"] = by_pair["wished"].transform("max")
        views["sessions"] = by_pair["session"].transform("nunique")
        views = views.drop_duplicates(["cust", "item"])  # latest first, so the latest view is kept
        views = views[views.groupby("cust").cumcount() < MAX_VIEWED].sort_values("cust", kind="stable")

        return cls(
            as_of=pd.Timestamp(as_of),
            customer_ids=customer_ids,
            region=region_codes.astype(np.int32),
            regions=tuple(regions.tolist()),
            orders=orders,
            days_since_last=since_last,
            days_since_first=since_first,
            offsets=_offsets(per_item["cust"].to_numpy(), n),
            items=per_item["item"].to_numpy(dtype=np.int64),
            days=per_item["count"].to_numpy(dtype=np.float64),
            days_since=per_item["min"].to_numpy(dtype=np.float64),
            gap=gap.astype(np.float64),
            view_offsets=_offsets(views["cust"].to_numpy(), n),
            viewed=views["item"].to_numpy(dtype=np.int64),
            viewed_days_since=views["day"].to_numpy(dtype=np.float64),
            carted=views["carted"].to_numpy(dtype=bool),
            view_sessions=views["sessions"].to_numpy(dtype=np.float64),
            wishlisted=views["wished"].to_numpy(dtype=bool),
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
