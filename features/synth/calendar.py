"""The simulated period as a day grid: seasonality, time-of-day habits and vectorised point processes.

Times are int64 epoch seconds. Seasonal arrivals are drawn by inverting the cumulative daily intensity,
so one ``searchsorted`` places millions of events without a loop over customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features import vocab
from features.synth.config import SynthConfig
from features.synth.ids import seconds_of
from features.synth.sampling import group_positions

DAY = 86_400
HOUR = 3_600
MINUTE = 60

# Unplanned-order seasonality by month (Jan..Dec) before the type's own Christmas multiplier:
# a post-holiday lull, spring and early-summer picnics, the French August holiday dip, then the
# run-up to Christmas. December itself is set per type.
MONTH_FACTORS = np.array([0.8, 0.85, 0.95, 1.0, 0.95, 1.1, 1.05, 0.7, 0.9, 1.0, 1.35, 1.0])
# Orders bunch before Christmas Eve; the week after is quiet.
DECEMBER_BEFORE_24 = 1.25
DECEMBER_AFTER_24 = 0.35

# Hour-of-day weights (0..23) per order channel: advisers and shops keep office hours, the web shop
# peaks at lunch and in the evening, the app in the evening.
_OFFICE = [0] * 8 + [2, 6, 8, 8, 5, 4, 7, 8, 7, 6, 3] + [0] * 5
_SHOP = [0] * 9 + [3, 6, 8, 8, 6, 5, 6, 8, 9, 9, 4] + [0] * 4
_WEB = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 4, 4, 6, 6, 4, 4, 4, 5, 6, 8, 9, 9, 6, 3]
_APP = [1, 0.5, 0.2, 0.1, 0.1, 0.3, 1, 3, 3, 2, 2, 3, 5, 5, 3, 3, 3, 4, 6, 8, 10, 10, 7, 3]
HOUR_WEIGHTS = {
    "web": _WEB,
    "app": _APP,
    "phone": _OFFICE,
    "catalogue": _OFFICE,
    "store": _SHOP,
    "delivery": _OFFICE,
}
# Channels with no activity on Sundays (advisers, shops, delivery rounds).
CLOSED_ON_SUNDAY = np.array(
    [ch in ("phone", "catalogue", "store", "delivery") for ch in vocab.ORDER_CHANNELS]
)


@dataclass(frozen=True)
class Calendar:
    start: int  # epoch seconds, inclusive
    end: int  # epoch seconds, exclusive
    origin: int  # midnight on or before ``start``: day 0 of the day grid
    month: np.ndarray  # month of year of each day of the period, 0-based (January = 0)
    day_of_month: np.ndarray  # 1..31
    weekday: np.ndarray  # 0 = Monday

    @classmethod
    def from_config(cls, config: SynthConfig) -> Calendar:
        start, end = seconds_of(config.start), seconds_of(config.end)
        origin = start - start % DAY
        days = np.arange(origin, end, DAY).astype("datetime64[s]").astype("datetime64[D]")
        months = days.astype("datetime64[M]")
        return cls(
            start=start,
            end=end,
            origin=origin,
            month=(months.astype(np.int64) % 12).astype(np.int8),
            day_of_month=((days - months.astype("datetime64[D]")).astype(np.int64) + 1).astype(np.int8),
            weekday=((days.astype(np.int64) + 3) % 7).astype(np.int8),
        )

    @property
    def n_days(self) -> int:
        return int(self.month.size)

    def day_index(self, t: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(t) - self.origin) // DAY, 0, self.n_days - 1)

    def month_of(self, t: np.ndarray) -> np.ndarray:
        return self.month[self.day_index(t)]

    def seasonal_profiles(self, christmas: np.ndarray) -> np.ndarray:
        """Daily intensity per profile (rows: one December multiplier each), mean 1 over a year."""
        monthly = np.tile(MONTH_FACTORS, (christmas.size, 1))
        monthly[:, 11] = christmas
        monthly /= monthly.mean(axis=1, keepdims=True)
        daily = monthly[:, self.month]
        december = self.month == 11
        daily[:, december & (self.day_of_month < 24)] *= DECEMBER_BEFORE_24
        daily[:, december & (self.day_of_month >= 24)] *= DECEMBER_AFTER_24
        return daily


def seasonal_arrivals(
    rng: np.random.Generator,
    cal: Calendar,
    daily: np.ndarray,
    profile: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    rate_per_day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson arrivals for each entity between ``start`` and ``stop`` with intensity
    ``rate_per_day * daily[profile]``. Returns (entity, time) sorted by entity."""
    n_days = cal.n_days
    cum = np.zeros((daily.shape[0], n_days + 1))
    np.cumsum(daily, axis=1, out=cum[:, 1:])
    # Rows laid end to end with a gap, so one sorted array serves every profile.
    offsets = np.concatenate([[0.0], np.cumsum(cum[:, -1] + 1.0)[:-1]])
    flat = (cum + offsets[:, None]).ravel()

    def position(t: np.ndarray) -> np.ndarray:
        x = np.clip((t - cal.origin) / DAY, 0, n_days)
        day = np.minimum(x.astype(np.int64), n_days - 1)
        return cum[profile, day] + (x - day) * daily[profile, day]

    lo, hi = position(start), position(np.maximum(stop, start))
    counts = rng.poisson(rate_per_day * (hi - lo))
    entity = np.repeat(np.arange(start.size), counts)
    u = lo[entity] + rng.random(entity.size) * (hi - lo)[entity]
    p = profile[entity]
    idx = np.searchsorted(flat, u + offsets[p], side="right") - 1
    day = np.clip(idx - p * (n_days + 1), 0, n_days - 1)
    frac = np.clip((u - cum[p, day]) / np.maximum(daily[p, day], 1e-12), 0.0, 1.0)
    t = cal.origin + ((day + frac) * DAY).astype(np.int64)
    return entity, np.clip(t, start[entity], np.maximum(stop[entity] - 1, start[entity]))


def renewal_ticks(
    rng: np.random.Generator, start: np.ndarray, stop: np.ndarray, gap_days: np.ndarray, cv: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A personal clock per entity: a random phase, then gamma gaps of mean ``gap_days``.

    Returns (entity, tick number, time) of the ticks before ``stop``.
    """
    span = np.maximum(stop - start, 0) / DAY
    counts = np.ceil(span / gap_days * 1.4 + 3).astype(np.int64) * (span > 0)
    entity, tick = group_positions(counts)
    shape = 1.0 / cv**2
    gaps = rng.gamma(shape, 1.0 / shape, entity.size) * gap_days[entity] * DAY
    first = tick == 0
    gaps[first] = rng.random(int(first.sum())) * gap_days[entity[first]] * DAY
    total = np.concatenate([[0.0], np.cumsum(gaps)])
    before_group = total[np.cumsum(counts) - counts]
    t = start[entity] + (total[1:] - before_group[entity]).astype(np.int64)
    keep = t < stop[entity]
    return entity[keep], tick[keep], t[keep]


def hour_table() -> np.ndarray:
    """Cumulative hour-of-day distribution per order channel (rows in vocab.ORDER_CHANNELS order)."""
    weights = np.array([HOUR_WEIGHTS[ch] for ch in vocab.ORDER_CHANNELS], dtype=np.float64)
    return np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)


def at_channel_hours(
    rng: np.random.Generator,
    cal: Calendar,
    t: np.ndarray,
    channel: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Move each time to an hour its channel is open on the same day (Sunday closures move a day).

    A time that would leave its entity's window [lo, hi) keeps its original value.
    """
    cum = hour_table()
    hour = (rng.random(t.size)[:, None] > cum[channel]).sum(axis=1).clip(0, 23)
    day = cal.day_index(t)
    sunday = (cal.weekday[day] == 6) & CLOSED_ON_SUNDAY[channel]
    # Shops, advisers and rounds are closed on Sundays: that business happens on Saturday.
    day = np.where(sunday, np.where(day >= 1, day - 1, day + 1), day)
    moved = cal.origin + day * DAY + hour * HOUR + rng.integers(0, HOUR, t.size)
    return np.where((moved >= lo) & (moved < hi), moved, t)
