"""How long after a send an order counts for the campaign: the measurement window per contact channel.

Shared by the results (features.campaigns.results), the uplift training rows and the synthetic truth,
so the generator's "true effect" is the effect on exactly what the results measure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Messages act within days; a printed catalogue sits on the table for weeks.
WINDOW_DAYS: dict[str, int] = {"email": 7, "sms": 7, "push": 7, "ads": 7, "phone": 7, "mail": 30}
DEFAULT_WINDOW_DAYS = 7


def window_days(channel: str) -> int:
    return WINDOW_DAYS.get(channel, DEFAULT_WINDOW_DAYS)


def windows_days(channels: pd.Series) -> np.ndarray:
    """:func:`window_days` of every row, looked up once per distinct channel (hundreds of thousands of
    assignments, a handful of channels)."""
    # By the channels' codes: mapping the text made a Python string of every row (4 M assignments at
    # 100k customers).
    codes, distinct = pd.factorize(channels)
    days = np.array([window_days(channel) for channel in distinct] + [DEFAULT_WINDOW_DAYS], dtype=np.int64)
    return days[codes]  # code -1 (no channel): the default appended


def window(channel: str) -> pd.Timedelta:
    return pd.Timedelta(days=window_days(channel))
