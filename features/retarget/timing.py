"""When a contact may go out: quiet hours push it to the end of the window; calls go at the customer's
usual hour inside adviser hours."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from features.retarget.config import Hours

DAY = timedelta(days=1)


def next_allowed(at: datetime, quiet: Hours) -> datetime:
    """``at`` itself, or the end of the quiet hours it falls in (21:30 with quiet 21-9 -> 09:00 next day)."""
    if not quiet.contains(at.hour) or quiet.start == quiet.end:
        return at
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    end = day + timedelta(hours=quiet.end)
    # a window wrapping past midnight ends tomorrow when we are in its evening part
    return end + DAY if end <= at else end


def next_allowed_series(at: pd.Series, quiet: Hours) -> pd.Series:
    """:func:`next_allowed` for a column of timestamps."""
    hours = at.dt.hour.to_numpy()
    if quiet.start == quiet.end:
        return at
    inside = (
        (hours >= quiet.start) & (hours < quiet.end)
        if quiet.start < quiet.end
        else (hours >= quiet.start) | (hours < quiet.end)
    )
    end = at.dt.normalize() + pd.Timedelta(hours=quiet.end)
    end = end.where(end > at, end + pd.Timedelta(days=1))
    return at.where(~inside, end)


def call_hour(usual_hour: float | None, advisers: Hours, quiet: Hours) -> int:
    """The hour to call: the customer's usual hour, moved into adviser hours and out of quiet hours."""
    first, last = advisers.start, max(advisers.start, advisers.end - 1)
    hour = first if usual_hour is None or np.isnan(usual_hour) else int(min(max(usual_hour, first), last))
    for candidate in [hour, *range(first, last + 1)]:
        if not quiet.contains(candidate):
            return candidate
    return hour  # adviser hours entirely quiet: a configuration the caller has chosen


def call_times(not_before: pd.Series, hours: pd.Series) -> pd.Series:
    """The first time at or after ``not_before`` on the hour of ``hours`` (one call slot per customer)."""
    slot = not_before.dt.normalize() + pd.to_timedelta(hours.to_numpy(), unit="h")
    return slot.where(slot >= not_before, slot + pd.Timedelta(days=1))
