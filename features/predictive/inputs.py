"""What the predictive models read: their feature set, a customer's BTYD summary, the LightGBM matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.arrays import known_levels
from features.customer_features import names as n
from features.customer_features.sets import CUSTOMER_FEATURES_V1, FeatureSet

# Consent flags are left out on purpose: whether someone accepted SMS is collected to decide what Cible may
# do, not to predict what she will buy (purpose limitation), and a model that learned "refused profiling =>
# low value" would penalise people for using their rights.
PREDICTIVE_FEATURES_V1 = FeatureSet(
    name="predictive",
    version=1,
    description="customer_v1 without the consent flags: profile, RFM and rhythm, channels, categories, "
    "web and campaigns.",
    columns=tuple(col for col in CUSTOMER_FEATURES_V1.columns if col not in n.CONSENT_COLUMNS),
    prefixes=CUSTOMER_FEATURES_V1.prefixes,
)


@dataclass(frozen=True)
class BTYDInputs:
    """A customer's (x, t_x, T) in whole days and mean repeat order value, read from her features.

    Read from the feature row rather than from the order lines so that a served model needs nothing but
    the features: x = purchase orders - 1, T = days since the first order, t_x = T - days since the last
    order (floored to whole days, which folds customers into few patterns and keeps t_x <= T), and
    m_x = (spend of all orders - first order) / x. Orders are counted, not purchase days as in
    :func:`features.btyd.btyd_summary`: two orders on one day are rare outside CDNOW.
    """

    buyer: np.ndarray  # at least one purchase before the cutoff: BTYD has nothing to say of the others
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    m: np.ndarray  # NaN when x = 0


# The columns btyd_inputs reads (and a BTYD fit, which also weighs order values by N_ORDERS): what a
# caller keeps of a cutoff's features to fit BTYD on later without holding every column.
BTYD_INPUT_COLUMNS: tuple[str, ...] = (
    n.N_ORDERS,
    n.DAYS_SINCE_FIRST_ORDER,
    n.DAYS_SINCE_LAST_ORDER,
    n.AVG_ORDER_VALUE,
    n.FIRST_ORDER_VALUE,
)


def btyd_inputs(frame: pd.DataFrame) -> BTYDInputs:
    orders = frame[n.N_ORDERS].to_numpy(dtype=np.float64)
    buyer = orders > 0
    first = np.floor(np.nan_to_num(frame[n.DAYS_SINCE_FIRST_ORDER].to_numpy(dtype=np.float64)))
    last = np.floor(np.nan_to_num(frame[n.DAYS_SINCE_LAST_ORDER].to_numpy(dtype=np.float64)))
    x = np.where(buyer, orders - 1.0, 0.0)
    age = np.where(buyer, np.maximum(first, 0.0), 0.0)
    recency = np.where(buyer & (x > 0), np.clip(first - last, 0.0, age), 0.0)
    mean_order = frame[n.AVG_ORDER_VALUE].to_numpy(dtype=np.float64)
    first_value = frame[n.FIRST_ORDER_VALUE].to_numpy(dtype=np.float64)
    repeat = np.full(len(frame), np.nan)
    np.divide(mean_order * orders - first_value, x, out=repeat, where=x > 0)
    return BTYDInputs(buyer=buyer, x=x, t_x=recency, T=age, m=repeat)


def categories_of(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[str]]:
    """The levels of each text column among ``columns``, sorted: fixed at fit, so a level unseen in
    training is unknown (NaN) at scoring time rather than silently taking another level's code."""
    out: dict[str, list[str]] = {}
    for col in columns:
        series = frame[col]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            out[col] = sorted(str(v) for v in series.dropna().unique())
    return out


def _column(frame: pd.DataFrame, col: str, categories: dict[str, list[str]]) -> np.ndarray | pd.Categorical:
    """``col`` of ``frame`` as LightGBM reads it: floats, or a pandas categorical with the fitted levels. A
    column absent from ``frame`` (a product category that no longer exists) is all NaN."""
    series = frame[col] if col in frame else pd.Series(np.nan, index=frame.index)
    if col in categories:
        return known_levels(series.astype("object"), categories[col])
    if series.dtype.kind in "fiub":
        # A NumPy number or flag: the column itself (a view when it is float64 already), the values
        # ``to_numeric`` would give; ``to_numeric`` copies every column, even a float one.
        return series.to_numpy(dtype=np.float64)
    return pd.to_numeric(series, errors="coerce").astype(np.float64).to_numpy()


def model_matrix(
    frame: pd.DataFrame, columns: Sequence[str], categories: dict[str, list[str]]
) -> pd.DataFrame:
    """``columns`` of ``frame`` as LightGBM reads them: floats, and pandas categoricals with the fitted
    levels (what a fitted model is asked to score)."""
    data = {col: _column(frame, col, categories) for col in columns}
    # Not copied into one block: LightGBM copies the matrix into its own array anyway, and at 100,000
    # customers x 4 training cutoffs each copy here is ~330 MB (two of them held at once before).
    return pd.DataFrame(data, index=frame.index, copy=False)


def model_array(frame: pd.DataFrame, columns: Sequence[str], categories: dict[str, list[str]]) -> np.ndarray:
    """The values LightGBM makes of :func:`model_matrix` (a category's code, NaN for a missing or unknown
    level), in the one C-ordered float64 array it trains on as it is: handed the frame, it converts it to
    a column-ordered array, then copies that into row order (two copies of ~330 MB at 100,000 customers x
    4 training cutoffs, held at once)."""
    x = np.empty((len(frame), len(columns)), dtype=np.float64)
    for j, col in enumerate(columns):
        values = _column(frame, col, categories)
        if isinstance(values, pd.Categorical):
            codes = values.codes
            x[:, j] = np.where(codes >= 0, codes, np.nan)
        else:
            x[:, j] = values
    return x
