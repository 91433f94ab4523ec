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
        position = np.full(len(enc.customer_ids) + 1, -1, dtype=np.int64)
        position[np.searchsorted(enc.customer_ids, customer_ids)] = np.arange(n)

        rows = enc.order_rows(as_of) & (enc.quantity > 0) & (enc.order_customer >= 0)
        cust = position[enc.order_customer[rows]]
        item = enc.order_item[rows].astype(np.int64)
        known = (item >= 0) & catalogue.is_product[np.maximum(item, 0)] & (cust >= 0)
        day = days_before(as_of, enc.ordered_at[rows])
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

        kept = enc.event_rows(as_of) & enc.interest & (enc.event_customer >= 0)
        ev = enc.latest_first[kept[enc.latest_first]]  # latest first, ties in row order
        ev_cust = position[enc.event_customer[ev]]
        ev_item = enc.event_item[ev].astype(np.int64)
        ok = (ev_item >= 0) & (ev_cust >= 0)
        ev_day = days_before(as_of, enc.occurred_at[ev])
        carted = enc.carted[ev]
        wished = enc.wished[ev]
        views = pd.DataFrame(
            {
                "cust": ev_cust[ok],
                "item": ev_item[ok],
                "day": np.floor(ev_day[ok]),
                "carted": carted[ok],
                "wished": wished[ok],
                "session": enc.session[ev][ok],
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
