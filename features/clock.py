"""The one clock of Cible: every "now" comes from here, in the retailer's zone.

The data contract stores timestamps as the retailer's local wall time without a zone, so "now" is the
retailer's local time, naive. ``CIBLE_NOW`` pins it (tests, replays, "as if today were"), ``CIBLE_TZ``
names the retailer's zone (default Europe/Paris). Both are read at each call, never at import time.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import pandas as pd

NOW_ENV = "CIBLE_NOW"
ZONE_ENV = "CIBLE_TZ"
DEFAULT_ZONE = "Europe/Paris"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The retailer's time zone (``CIBLE_TZ``, default Europe/Paris)."""
    return _zone(os.environ.get(ZONE_ENV) or DEFAULT_ZONE)


def to_local(value: datetime | str | pd.Timestamp) -> datetime:
    """A moment as the retailer's naive local time: aware values are converted, naive ones are taken as
    already local (the contract's convention)."""
    moment = pd.Timestamp(value).to_pydatetime() if not isinstance(value, datetime) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone()).replace(tzinfo=None)
    return moment


def now_datetime() -> datetime:
    """Now, as a naive ``datetime`` in the retailer's zone (cheap enough for the request path)."""
    pinned = os.environ.get(NOW_ENV)
    if pinned:
        return to_local(pinned)
    return datetime.now(zone()).replace(tzinfo=None)


def now() -> pd.Timestamp:
    """Now, as a naive ``pandas.Timestamp`` in the retailer's zone."""
    return pd.Timestamp(now_datetime())


def today() -> pd.Timestamp:
    """Midnight at the start of the retailer's current day."""
    return now().normalize()


def month_start() -> pd.Timestamp:
    """Midnight on the first day of the retailer's current month: `make run`'s default training cutoff and
    synthetic data end, so that they follow the calendar by whole months (a daily cutoff would retrain at
    every run)."""
    return today().replace(day=1)
