"""The lookback's events in the order the intent vectors read them: by visitor id (missing ids last), then
oldest first, ties in table order; the rows (without their times) and their ages as two stable sorts of
the frame give them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.intent.layout import LOOKBACK_US
from features.intent.matrix import lookback_events


def _by_two_sorts(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    age = (np.datetime64(as_of.to_datetime64(), "us") - events[c.OCCURRED_AT].to_numpy()).astype(np.int64)
    inside = (age > 0) & (age <= LOOKBACK_US)
    frame = events[inside].assign(_age=age[inside])
    return frame.sort_values(c.OCCURRED_AT, kind="stable").sort_values(c.VISITOR_ID, kind="stable")


def _assert_same(events: pd.DataFrame, as_of: pd.Timestamp) -> None:
    frame, ages = lookback_events(events, as_of)
    expected = _by_two_sorts(events, as_of)
    pd.testing.assert_frame_equal(frame, expected.drop(columns=[c.OCCURRED_AT, "_age"]))
    assert ages.dtype == np.int64 and ages.tolist() == expected["_age"].tolist()


def test_the_lookback_is_sorted_as_two_stable_sorts_would(small_synthetic: Dataset) -> None:
    events = small_synthetic.events
    as_of = events[c.OCCURRED_AT].max().normalize()
    assert len(lookback_events(events, as_of)[0]) > 1000
    _assert_same(events, as_of)


def test_ties_and_missing_visitors_keep_the_table_order() -> None:
    rng = np.random.default_rng(7)
    size = 2_000
    as_of = pd.Timestamp("2024-05-01")
    times = (
        as_of
        - pd.to_timedelta(rng.integers(0, 80, size), unit="D")
        - pd.to_timedelta(rng.integers(0, 3, size), unit="h")
    )
    visitors = pd.Series(rng.choice(["V10", "V2", "Vé", "v1", ""], size), dtype="str")
    visitors[rng.random(size) < 0.1] = None
    events = pd.DataFrame(
        {c.OCCURRED_AT: times.astype("datetime64[us]"), c.VISITOR_ID: visitors, "row": np.arange(size)}
    )
    _assert_same(events, as_of)
