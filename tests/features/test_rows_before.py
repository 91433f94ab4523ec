"""Slicing a table at a cutoff gives exactly ``frame[frame[time] < cutoff]``, whichever shortcut is taken
(nothing dropped, a tail dropped from a table in time order, rows dropped anywhere)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import columns as c
from features.arrays import rows_where
from features.dataset import rows_before


def _orders(times: list[str]) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {
            c.ORDER_ID: pd.Series([f"o{i}" for i in range(n)], dtype="str"),
            c.CUSTOMER_ID: pd.Series([None if i % 3 == 0 else f"c{i}" for i in range(n)], dtype="str"),
            c.ORDERED_AT: pd.to_datetime(times).astype("datetime64[us]"),
            c.QUANTITY: np.arange(n, dtype=np.int64) - 1,
            c.UNIT_PRICE: np.linspace(1.0, 2.0, n),
            "nullable": pd.array([None if i % 2 else i for i in range(n)], dtype="Int64"),
            "flag": np.arange(n) % 2 == 0,
        },
        index=pd.RangeIndex(10, 10 + n),
    )


@pytest.mark.parametrize(
    "times",
    [
        ["2026-01-01", "2026-01-02", "2026-01-03", "2026-02-01", "2026-03-01"],  # in time order
        ["2026-03-01", "2026-01-01", "2026-02-01", "2026-01-02", "2026-01-03"],  # out of order
        ["2026-01-01", "2026-01-02"],  # nothing dropped
        ["2026-03-01", "2026-04-01"],  # everything dropped
    ],
)
def test_rows_before_is_the_masked_frame(times: list[str]) -> None:
    frame = _orders(times)
    cutoff = pd.Timestamp("2026-01-15")
    expected = frame[(frame[c.ORDERED_AT] < cutoff).to_numpy()]
    pd.testing.assert_frame_equal(rows_before("orders", frame, cutoff), expected)


def test_rows_where_keeps_dtypes_values_and_labels() -> None:
    frame = _orders(["2026-01-01"] * 7)
    keep = np.array([True, False, True, True, False, False, True])
    pd.testing.assert_frame_equal(rows_where(frame, keep), frame[keep])
