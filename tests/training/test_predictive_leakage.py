"""No leakage: training rows at each cutoff see nothing at or after it (labels nothing after their window),
and a whole comparison as of a date is unchanged by anything at or after that date, however loud."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.customer_features import names as n
from features.dataset import Dataset
from tests.tiny_data import tiny_frames
from tests.training.predictive_data import FAST, truncated, with_loud_future
from training.predictive.compare import compare_candidates
from training.predictive.rows import FeatureCache, labelled_rows
from training.predictive.targets import TARGETS

T = pd.Timestamp("2024-05-01")
H = 30  # window [05-01, 05-31)


def order(order_id: str, customer: str, when: str) -> dict[str, object]:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "ordered_at": when,
        "channel": "web",
        "sku": "P1",
        "quantity": 1,
        "unit_price": 10.0,
        "discount": 0.0,
        "campaign_id": None,
    }


def edge_cases() -> Dataset:
    """The tiny data set plus orders placed where a leak would flip a label or a feature:
    C1 orders exactly at T (in the window, not in the features); C2's only later order (06-01, tiny data)
    is after the window; C4 orders exactly at T + H (outside); C5 one minute before T + H (inside)."""
    frames = tiny_frames()
    extra_customers = (
        frames["customers"]
        .iloc[[0, 0]]
        .assign(customer_id=["C4", "C5"], created_at="2024-01-05 09:00", loyalty_card_id=None)
    )
    frames["customers"] = pd.concat([frames["customers"], extra_customers], ignore_index=True)
    extra_orders = [
        order("E1", "C1", "2024-05-01 00:00"),
        order("E2", "C4", "2024-02-01 12:00"),
        order("E3", "C4", "2024-05-31 00:00"),
        order("E4", "C5", "2024-03-01 12:00"),
        order("E5", "C5", "2024-05-30 23:59"),
    ]
    frames["orders"] = pd.concat([frames["orders"], pd.DataFrame(extra_orders)], ignore_index=True)
    return Dataset.from_frames(frames)


def rows_at(dataset: Dataset, as_of: str = "2024-07-01"):
    return labelled_rows(FeatureCache(dataset.before(as_of)), TARGETS["churn"], T, H)


def test_labels_and_features_at_a_cutoff_by_hand() -> None:
    rows = rows_at(edge_cases())
    assert rows.features[c.CUSTOMER_ID].tolist() == ["C1", "C2", "C4", "C5"]
    np.testing.assert_array_equal(rows.y, [0, 1, 1, 0])  # churned = no order in [T, T + H)
    # The order at exactly T is not history: C1 still has her three orders, the last on 04-09 10:00.
    np.testing.assert_array_equal(rows.features[n.N_ORDERS], [3, 1, 1, 1])
    assert rows.features[n.DAYS_SINCE_LAST_ORDER].iloc[0] == 21 + 14 / 24


def test_a_cutoff_ignores_everything_after_its_window() -> None:
    full = rows_at(edge_cases())
    # Rows at or after the window's end cannot change labels or features...
    window_only = rows_at(truncated(edge_cases(), T + pd.Timedelta(days=H)))
    pd.testing.assert_frame_equal(window_only.features, full.features)
    np.testing.assert_array_equal(window_only.y, full.y)
    # ...and rows at or after the cutoff cannot change the features.
    history_only = labelled_rows(FeatureCache(truncated(edge_cases(), T)), TARGETS["churn"], T, H)
    pd.testing.assert_frame_equal(history_only.features, full.features)


def test_a_comparison_reads_nothing_at_or_after_as_of(small_synthetic) -> None:
    as_of = pd.Timestamp("2026-09-01")
    # The synthetic data run to 2026-11-01: the real future is there, plus loud rows at and after as_of.
    loud = with_loud_future(small_synthetic, as_of)
    clean = truncated(loud, as_of)
    a = compare_candidates(clean, as_of, TARGETS["churn"], FAST)
    b = compare_candidates(loud, as_of, TARGETS["churn"], FAST)
    assert [x.name for x in a.candidates] == [x.name for x in b.candidates]
    assert len(a.candidates) == 7 and a.cutoffs.training  # every candidate ran, rolling cutoffs included
    for x, y in zip(a.candidates, b.candidates, strict=True):
        np.testing.assert_array_equal(x.prediction, y.prediction, err_msg=x.name)
        assert x.metrics == y.metrics
