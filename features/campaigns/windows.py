"""How long after a send an order counts for the campaign: the measurement window per contact channel.

Shared by the results (features.campaigns.results), the uplift training rows and the synthetic truth,
so the generator's "true effect" is the effect on exactly what the results measure.
"""

from __future__ import annotations

import pandas as pd

# Messages act within days; a printed catalogue sits on the table for weeks.
WINDOW_DAYS: dict[str, int] = {"email": 7, "sms": 7, "push": 7, "ads": 7, "phone": 7, "mail": 30}
DEFAULT_WINDOW_DAYS = 7


def window_days(channel: str) -> int:
    return WINDOW_DAYS.get(channel, DEFAULT_WINDOW_DAYS)


def window(channel: str) -> pd.Timedelta:
    return pd.Timedelta(days=window_days(channel))
