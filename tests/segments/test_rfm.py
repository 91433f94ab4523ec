"""RFM scores by quintile and the segment map."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.customer_features import names as n
from features.segments.rfm import F_SCORE, FM_SCORE, M_SCORE, R_SCORE, RFM_SEGMENT, RFMScorer
from features.segments.rfm_map import DESCRIPTIONS, GRID, PROSPECTS, SEGMENTS, grid_markdown


def frame(recency, orders, spend) -> pd.DataFrame:
    return pd.DataFrame({n.DAYS_SINCE_LAST_ORDER: recency, n.N_ORDERS: orders, n.TOTAL_SPEND: spend})


def test_scores_are_quintiles_with_recency_reversed() -> None:
    # 10 buyers: recency 10..100 days, orders 1..10, spend 100..1000
    data = frame(np.arange(10, 101, 10.0), np.arange(1, 11.0), np.arange(100, 1001, 100.0))
    scores = RFMScorer().fit(data).transform(data)
    assert scores[R_SCORE].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scores[F_SCORE].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores[M_SCORE].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores[FM_SCORE].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # R5 FM1 is a new customer, R1 FM5 a customer we cannot lose.
    assert scores[RFM_SEGMENT].iloc[0] == "new_customers"
    assert scores[RFM_SEGMENT].iloc[-1] == "cannot_lose_them"


def test_ties_in_frequency_do_not_break_the_quintiles() -> None:
    # 80% of buyers ordered once: quintiles on raw counts would collapse; spend breaks the ties.
    orders = np.array([1] * 80 + [2] * 10 + [5] * 10, dtype=float)
    spend = np.linspace(10, 1000, 100)
    data = frame(np.linspace(1, 300, 100), orders, spend)
    f = RFMScorer().fit(data).transform(data)[F_SCORE]
    assert sorted(f.value_counts().tolist()) == [20, 20, 20, 20, 20]
    assert (f[orders == 5] == 5).all()


def test_non_buyers_are_prospects_and_scores_apply_to_new_customers() -> None:
    data = frame(np.arange(10, 101, 10.0), np.arange(1, 11.0), np.arange(100, 1001, 100.0))
    scorer = RFMScorer().fit(data)
    new = frame([np.nan, 5.0, 400.0], [0.0, 20.0, 1.0], [0.0, 5000.0, 50.0])
    scores = scorer.transform(new)
    assert scores[RFM_SEGMENT].tolist() == [PROSPECTS, "champions", "lost"]
    assert scores.loc[0, [R_SCORE, F_SCORE, M_SCORE]].tolist() == [0, 0, 0]


def test_the_map_is_a_complete_grid_of_the_eleven_named_segments() -> None:
    assert sorted(GRID) == [1, 2, 3, 4, 5] and all(len(row) == 5 for row in GRID.values())
    assert {cell for row in GRID.values() for cell in row} == set(SEGMENTS)
    assert len(SEGMENTS) == 11 and set(DESCRIPTIONS) == {*SEGMENTS, PROSPECTS}
    assert "| **5** | new_customers |" in grid_markdown()


def test_too_few_buyers_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least 5 customers"):
        RFMScorer().fit(frame([1.0, 2.0], [1.0, 1.0], [5.0, 6.0]))
