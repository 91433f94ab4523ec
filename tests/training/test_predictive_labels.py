"""Labels on the tiny hand-checked data set, rolling-origin cutoffs and the calibration/evaluation split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.dataset import Dataset
from tests.tiny_data import tiny_frames
from training.predictive import labels
from training.predictive.cutoffs import NotEnoughHistoryError, rolling_origin
from training.predictive.rows import evaluation_half

CUTOFF = pd.Timestamp("2024-04-01")


def outcomes(days: float, cutoff: pd.Timestamp = CUTOFF) -> pd.DataFrame:
    orders = Dataset.from_frames(tiny_frames()).orders
    return labels.window_outcomes(orders, pd.Series(["C1", "C2", "C9"]), cutoff, days)


def test_outcomes_by_hand() -> None:
    # [04-01, 05-01): C1 buys O3 on 04-09 10:00 (3 x 20 + 5 = EUR 65) and returns R1 on 04-20 (-20): one
    # order, EUR 45 net, first order 8 days 10 hours after the cutoff. C2's orders are on 03-05 and 06-01,
    # outside; the guest order O5 counts for nobody; C9 is unknown.
    got = outcomes(30)
    np.testing.assert_array_equal(got[labels.ORDERS_IN_WINDOW], [1, 0, 0])
    np.testing.assert_allclose(got[labels.SPEND_IN_WINDOW], [45.0, 0.0, 0.0])
    np.testing.assert_allclose(got[labels.DAYS_TO_NEXT_ORDER], [8 + 10 / 24, np.nan, np.nan])
    np.testing.assert_array_equal(labels.churned(got, 30), [0, 1, 1])
    np.testing.assert_array_equal(labels.ordered(got, 30), [1, 0, 0])
    np.testing.assert_allclose(labels.spend(got, 30), [45.0, 0.0, 0.0])
    np.testing.assert_allclose(labels.days_to_next(got, 30), [8 + 10 / 24, 30, 30])


def test_window_is_closed_at_the_cutoff_and_open_at_its_end() -> None:
    # C1's O3 is stamped 2024-04-09 10:00: a window starting at that instant sees it, one ending there not.
    stamp = pd.Timestamp("2024-04-09 10:00")
    assert outcomes(1, stamp)[labels.ORDERS_IN_WINDOW].iloc[0] == 1
    assert outcomes(8 + 10 / 24, CUTOFF)[labels.ORDERS_IN_WINDOW].iloc[0] == 0
    # A return-only order is spend, not an order: R1 alone in [04-15, 04-25).
    alone = outcomes(10, pd.Timestamp("2024-04-15"))
    assert alone[labels.ORDERS_IN_WINDOW].iloc[0] == 0 and alone[labels.SPEND_IN_WINDOW].iloc[0] == -20.0


def test_rolling_origin_by_hand() -> None:
    cutoffs = rolling_origin(
        pd.Timestamp("2026-11-01"),
        pd.Timestamp("2025-11-01"),
        90,
        4,
        30,
        min_history_days=60,
        min_label_days=28,
    )
    assert cutoffs.validation == pd.Timestamp("2026-08-03")
    assert cutoffs.training == tuple(
        pd.Timestamp(d) for d in ("2026-05-05", "2026-04-05", "2026-03-06", "2026-02-04")
    )
    assert cutoffs.training_label_days == 90 and not cutoffs.shortened
    # Every training label window ends on or before the validation cutoff, which ends at as_of.
    for t in cutoffs.training:
        assert t + pd.Timedelta(days=cutoffs.training_label_days) <= cutoffs.validation
    assert cutoffs.validation + pd.Timedelta(days=90) == cutoffs.as_of


def test_short_history_shortens_the_training_window_then_drops_it() -> None:
    # CDNOW: orders from 1997-01-01, 39-week horizon validated at 1997-10-01.
    start, as_of = pd.Timestamp("1997-01-01"), pd.Timestamp("1997-10-01") + pd.Timedelta(days=273)
    short = rolling_origin(as_of, start, 273, 4, 30, min_history_days=60, min_label_days=28)
    assert short.training == (pd.Timestamp("1997-03-02"),)
    assert short.training_label_days == 213 and short.shortened
    none = rolling_origin(as_of, start, 273, 4, 30, min_history_days=250, min_label_days=28)
    assert none.training == () and "label-free candidates only" in none.describe()
    with pytest.raises(NotEnoughHistoryError, match="needs 553 days"):
        rolling_origin(as_of, start, 273, 4, 30, min_history_days=280, min_label_days=28)


def test_split_is_a_stable_half_by_customer() -> None:
    ids = pd.Series([f"C{i:06d}" for i in range(4000)])
    half = evaluation_half(ids, seed=0)
    assert 0.46 < half.mean() < 0.54
    np.testing.assert_array_equal(evaluation_half(ids[::-1].reset_index(drop=True), 0), half[::-1])
    assert (evaluation_half(ids, seed=1) != half).mean() > 0.3  # the seed reshuffles
