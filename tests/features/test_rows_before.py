"""Slicing a table at a cutoff gives exactly ``frame[frame[time] < cutoff]``, whichever shortcut is taken
(nothing dropped, a tail dropped from a table in time order, rows dropped anywhere)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import columns as c
from features.arrays import rows_where
from features.dataset import outcomes_known_before, rows_before


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


def test_outcomes_known_before_blanks_later_outcomes_and_leaves_the_input_as_it_was() -> None:
    contacts = pd.DataFrame(
        {
            c.SENT_AT: pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]).astype("datetime64[us]"),
            c.OPENED_AT: pd.to_datetime(["2026-01-02", "2026-02-01", None]).astype("datetime64[us]"),
            c.CLICKED_AT: pd.to_datetime(["2026-02-02", "2026-01-04", None]).astype("datetime64[us]"),
            c.CONVERTED_ORDER_ID: pd.Series(["o1", "o2", None], dtype="str"),
        }
    )
    original = contacts.copy()
    known = outcomes_known_before(contacts, pd.Timestamp("2026-01-15"), lambda ids: (ids == "o1").to_numpy())
    assert known[c.OPENED_AT].notna().tolist() == [True, False, False]
    assert known[c.CLICKED_AT].notna().tolist() == [False, True, False]
    assert known[c.CONVERTED_ORDER_ID].fillna("-").tolist() == ["o1", "-", "-"]
    pd.testing.assert_frame_equal(contacts, original)
