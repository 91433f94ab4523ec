"""The training cutoffs' rows stacked piece by piece are their concat: the same frame, the features in the
same memory layout (what the fit reads)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import columns as c
from features.intent.names import INTENT_FEATURES
from training.intent.labels import LABEL
from training.intent.rows import CUTOFF
from training.intent.stack import stack_rows


def _piece(rows: int, seed: int, cutoff: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.random((rows, len(INTENT_FEATURES))), columns=list(INTENT_FEATURES))
    frame.insert(0, c.CUSTOMER_ID, pd.Series([f"C{i}" if i % 3 else None for i in range(rows)], dtype="str"))
    frame.insert(0, c.VISITOR_ID, pd.Series([f"V{seed}-{i}" for i in range(rows)], dtype="str"))
    frame[LABEL] = rng.integers(0, 2, rows)
    frame[CUTOFF] = pd.Timestamp(cutoff)
    return frame


def _pieces() -> list[pd.DataFrame]:
    return [_piece(50, 1, "2024-01-01"), _piece(0, 2, "2024-01-08"), _piece(70, 3, "2024-01-15")]


def test_stacked_rows_are_the_concat() -> None:
    pieces = _pieces()
    stacked = stack_rows(pieces)
    expected = pd.concat(_pieces(), ignore_index=True)
    pd.testing.assert_frame_equal(stacked, expected)
    assert pieces == []  # each piece let go of
    got = stacked[list(INTENT_FEATURES)].to_numpy()
    want = expected[list(INTENT_FEATURES)].to_numpy()
    assert (got.flags.c_contiguous, got.flags.f_contiguous) == (
        want.flags.c_contiguous,
        want.flags.f_contiguous,
    )


def test_features_apart_are_refused() -> None:
    piece = _piece(5, 1, "2024-01-01")
    moved = piece[[*piece.columns[:3], LABEL, *piece.columns[3:-2], CUTOFF]]
    with pytest.raises(ValueError, match="side by side"):
        stack_rows([moved])
