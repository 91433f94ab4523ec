"""Frames compared in tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists (reasons, skus) as tuples: cells that compare as values."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = [tuple(v) if isinstance(v, list | np.ndarray) else v for v in out[col]]
    return out
