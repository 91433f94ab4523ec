"""Order lines to the per-customer BTYD summary (x, t_x, T, mean repeat spend), at a point in time.

Every BTYD model here reads a customer's history only through three numbers (Fader, Hardie & Lee 2005,
"Counting your customers the easy way", section 2): ``x`` the number of repeat purchases, ``t_x`` the
time of the last purchase and ``T`` the time observed, both measured from the customer's first purchase.
The Gamma-Gamma spend model adds ``m_x``, the mean spend of the ``x`` repeat purchases.

Conventions, the ones of Fader & Hardie's CDNOW analyses and of ``lifetimes``, chosen so that the
published CDNOW parameters are reproduced exactly:

- Time runs on calendar days. A purchase is a day on which the customer has at least one line of
  positive quantity; several orders of one day are one purchase (the finest time CDNOW records), so
  ``x`` = number of distinct purchase days - 1. A day with only returns is not a purchase.
- ``t_x`` = last purchase day - first purchase day; ``T`` = last observed day - first purchase day,
  where the last observed day is the last calendar day with any instant before the cutoff (the day
  before the cutoff when the cutoff is at midnight). A customer who bought on the last observed day
  has ``t_x == T``. With the 39-week CDNOW calibration (cutoff 1997-10-01, last day 1997-09-30), a
  customer who first bought on 1997-01-01 has T = 272 days = 38.86 weeks, as in the published data.
- The spend of a purchase day is the net amount of all the customer's lines that day (same-day returns
  included). ``monetary_value`` is the mean spend of the repeat purchase days, leaving out the first
  one, as Fader, Hardie & Lee (2005, "RFM and CLV") do; it is NaN when x = 0 (no repeat, no mean).
- Only rows strictly before the cutoff are read (the project's point-in-time rule). Customers with no
  purchase before the cutoff do not appear: BTYD models describe customers from their first purchase
  on, and have nothing to say about one who has not bought yet. Guest lines (no customer id) are
  ignored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import line_amounts

FREQUENCY = "frequency"  # x: repeat purchases
RECENCY = "recency"  # t_x: time from first to last purchase
AGE = "T"  # T: time from first purchase to the end of observation
MONETARY_VALUE = "monetary_value"  # m_x: mean spend per repeat purchase (NaN when x = 0)
FIRST_PURCHASE_AT = "first_purchase_at"
HOLDOUT_PURCHASES = "holdout_purchases"
HOLDOUT_SPEND = "holdout_spend"
SUMMARY_COLUMNS: tuple[str, ...] = (FREQUENCY, RECENCY, AGE, MONETARY_VALUE, FIRST_PURCHASE_AT)

TIME_UNITS: dict[str, int] = {"D": 1, "W": 7}  # days per unit


def days_per_unit(unit: str) -> int:
    if unit not in TIME_UNITS:
        raise ValueError(f"unknown time unit {unit!r}: use one of {sorted(TIME_UNITS)} (days or weeks)")
    return TIME_UNITS[unit]


def _purchase_days(orders: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp) -> pd.DataFrame:
    """One row per (customer, purchase day) of the lines in [start, end): day number and net spend,
    sorted by customer then day."""
    times = pd.to_datetime(orders[c.ORDERED_AT]).to_numpy(dtype="datetime64[us]")
    keep = orders[c.CUSTOMER_ID].notna().to_numpy() & (times < end.to_datetime64())
    if start is not None:
        keep &= times >= start.to_datetime64()
    lines = pd.DataFrame(
        {
            "customer": orders[c.CUSTOMER_ID].to_numpy()[keep],
            "day": times[keep].astype("datetime64[D]").astype(np.int64),
            "spend": line_amounts(orders)[keep],
            "bought": orders[c.QUANTITY].to_numpy()[keep] > 0,
        }
    )
    days = lines.groupby(["customer", "day"], sort=True).agg(spend=("spend", "sum"), bought=("bought", "any"))
    return days.loc[days["bought"], ["spend"]].reset_index()


def last_observed_day(cutoff: pd.Timestamp) -> np.datetime64:
    """The last calendar day with an instant before ``cutoff``: the day before a midnight cutoff."""
    return (pd.Timestamp(cutoff).ceil("D") - pd.Timedelta(days=1)).to_datetime64().astype("datetime64[D]")


def btyd_summary(orders: pd.DataFrame, cutoff: pd.Timestamp | str, unit: str = "W") -> pd.DataFrame:
    """Per-customer x, t_x, T (in ``unit``: "D" days or "W" weeks) and mean repeat spend at ``cutoff``.

    ``orders`` is the contract's order-lines frame; only rows strictly before ``cutoff`` are read. The
    result is indexed by customer id (sorted) with the columns of :data:`SUMMARY_COLUMNS`; customers
    without a purchase before the cutoff are left out (see the module docstring for every convention).
    """
    cutoff = pd.Timestamp(cutoff)
    scale = float(days_per_unit(unit))
    days = _purchase_days(orders, None, cutoff)
    per_customer = days.groupby("customer", sort=True).agg(
        first=("day", "first"),
        last=("day", "last"),
        n=("day", "size"),
        total=("spend", "sum"),
        first_spend=("spend", "first"),
    )
    x = per_customer["n"].to_numpy(dtype=np.int64) - 1
    first = per_customer["first"].to_numpy(dtype=np.int64)
    end = last_observed_day(cutoff).astype(np.int64)
    repeat_spend = (per_customer["total"] - per_customer["first_spend"]).to_numpy(dtype=np.float64)
    monetary = np.full(len(x), np.nan)
    np.divide(repeat_spend, x, out=monetary, where=x > 0)
    return pd.DataFrame(
        {
            FREQUENCY: x,
            RECENCY: (per_customer["last"].to_numpy(dtype=np.int64) - first) / scale,
            AGE: (end - first) / scale,
            MONETARY_VALUE: monetary,
            FIRST_PURCHASE_AT: first.astype("datetime64[D]").astype("datetime64[us]"),
        },
        index=pd.Index(per_customer.index, name=c.CUSTOMER_ID),
    )


def calibration_holdout(
    orders: pd.DataFrame,
    cutoff: pd.Timestamp | str,
    horizon: pd.Timedelta | str,
    unit: str = "W",
) -> pd.DataFrame:
    """The summary at ``cutoff`` (the calibration period) and, for the same customers, the purchases and
    spend of the holdout period [cutoff, cutoff + horizon): what a model fitted on the calibration must
    predict. Holdout purchases are counted as purchase days, like x; customers who only start buying in
    the holdout are not included (they have no calibration history to predict from).

    Use a midnight cutoff with day-stamped data, so that no calendar day is split between the periods.
    The horizon in model units, for the models' ``t``, is ``horizon / pd.Timedelta(days=7)`` in weeks.
    """
    cutoff, horizon = pd.Timestamp(cutoff), pd.Timedelta(horizon)
    if horizon <= pd.Timedelta(0):
        raise ValueError(f"the holdout horizon must be positive, got {horizon}")
    summary = btyd_summary(orders, cutoff, unit)
    holdout = _purchase_days(orders, cutoff, cutoff + horizon)
    per_customer = holdout.groupby("customer", sort=False).agg(n=("day", "size"), spend=("spend", "sum"))
    per_customer = per_customer.reindex(summary.index)
    summary[HOLDOUT_PURCHASES] = per_customer["n"].fillna(0).to_numpy(dtype=np.int64)
    summary[HOLDOUT_SPEND] = per_customer["spend"].fillna(0.0).to_numpy(dtype=np.float64)
    return summary
