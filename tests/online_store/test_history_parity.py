"""The history the service rebuilds from an online-store record and the events received since is the one
training builds from the raw data at that later moment: the ranker sees the same features live."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.online_store.history import history_records, purchases_from
from features.recommend.catalogue import Catalogue
from features.recommend.history import INTEREST_EVENTS, CustomerHistory

DAY = pd.Timedelta(days=1)


def test_record_alone_gives_back_the_batch_history(small_synthetic: Dataset) -> None:
    as_of = small_synthetic.default_as_of()
    catalogue = Catalogue.from_products(small_synthetic.products)
    batch = CustomerHistory.build(small_synthetic, as_of, catalogue)
    records = history_records(small_synthetic, as_of)
    for cid in list(records)[:200]:
        live, truth = purchases_from(records[cid], catalogue, 0.0), batch.of(cid)
        for field in ("items", "days", "gap", "viewed", "carted", "view_sessions", "wishlisted"):
            np.testing.assert_array_equal(getattr(live, field), getattr(truth, field), err_msg=field)
        np.testing.assert_array_equal(live.days_since, truth.days_since)
        np.testing.assert_array_equal(live.viewed_days_since, truth.viewed_days_since)


def test_events_received_since_match_a_later_batch_build(small_synthetic: Dataset) -> None:
    later = small_synthetic.default_as_of()
    as_of = later - 3 * DAY
    catalogue = Catalogue.from_products(small_synthetic.products)
    records = history_records(small_synthetic, as_of)
    truth = CustomerHistory.build(small_synthetic, later, catalogue)
    events = small_synthetic.events
    window = events[(events[c.OCCURRED_AT] >= as_of) & (events[c.OCCURRED_AT] < later)]
    before = events[(events[c.OCCURRED_AT] < as_of) & events[c.EVENT_TYPE].isin(INTEREST_EVENTS)]
    orders = small_synthetic.orders
    bought = set(orders.loc[(orders[c.ORDERED_AT] >= as_of) & (orders[c.ORDERED_AT] < later), c.CUSTOMER_ID])
    active = [cid for cid in window[c.CUSTOMER_ID].dropna().unique() if cid in records and cid not in bought]
    assert len(active) >= 10
    for cid in active[:100]:
        mine = window[window[c.CUSTOMER_ID] == cid].sort_values(c.OCCURRED_AT, ascending=False)
        bodies = mine.rename(columns={c.EVENT_TYPE: "type"}).to_dict("records")
        ages = ((later - mine[c.OCCURRED_AT]) / DAY).tolist()
        live = purchases_from(records[cid], catalogue, 3.0, bodies, ages)
        expected = truth.of(cid)
        order = np.argsort(live.viewed)
        want = np.argsort(expected.viewed)
        np.testing.assert_array_equal(live.viewed[order], expected.viewed[want])
        # A record keeps the 20 latest products only: one that had fallen off it and comes back in a new
        # view has lost its older cart, wish-list and visit counts (the batch still sees them).
        stored = set(catalogue.index_of(records[cid]["viewed"]).tolist())
        earlier = set(
            catalogue.index_of(before.loc[before[c.CUSTOMER_ID] == cid, c.SKU].astype(str)).tolist()
        )
        same = ~np.isin(live.viewed[order], list(earlier - stored))
        for field in ("carted", "wishlisted", "view_sessions"):
            got, exp = getattr(live, field)[order][same], getattr(expected, field)[want][same]
            np.testing.assert_array_equal(got, exp, err_msg=field)
        np.testing.assert_allclose(live.viewed_days_since[order], expected.viewed_days_since[want], atol=1.0)
