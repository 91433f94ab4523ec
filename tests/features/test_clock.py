"""The one clock: pinned by CIBLE_NOW, in the retailer's zone (CIBLE_TZ) whatever the machine's zone, and
aware times converted to the retailer's naive local time across daylight-saving changes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from features import clock
from tests.conftest import PINNED_NOW


def test_the_suite_runs_at_the_pinned_moment_the_day_after_the_synthetic_data() -> None:
    assert clock.now() == PINNED_NOW == pd.Timestamp("2026-11-02 10:00:00")
    assert clock.now_datetime() == datetime(2026, 11, 2, 10, 0)
    assert clock.today() == pd.Timestamp("2026-11-02")
    assert clock.zone() == ZoneInfo("Europe/Paris")


def test_a_pinned_moment_is_naive_local_and_an_aware_one_is_converted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(clock.NOW_ENV, "2026-06-15T08:45:12")
    assert clock.now_datetime() == datetime(2026, 6, 15, 8, 45, 12) and clock.now_datetime().tzinfo is None
    assert isinstance(clock.now(), pd.Timestamp) and clock.now().tz is None
    assert clock.today() == pd.Timestamp("2026-06-15")
    monkeypatch.setenv(clock.NOW_ENV, "2026-06-15T23:30:00Z")  # already the 16th in Paris (UTC+2)
    assert clock.now() == pd.Timestamp("2026-06-16 01:30:00") and clock.today() == pd.Timestamp("2026-06-16")


def test_the_zone_is_a_setting_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.NOW_ENV, "2026-01-10T12:00:00Z")
    assert clock.now() == pd.Timestamp("2026-01-10 13:00:00")  # Paris in winter: UTC+1
    monkeypatch.setenv(clock.ZONE_ENV, "Asia/Tokyo")
    assert clock.now() == pd.Timestamp("2026-01-10 21:00:00")
    monkeypatch.setenv(clock.ZONE_ENV, "America/Los_Angeles")
    assert clock.now() == pd.Timestamp("2026-01-10 04:00:00")
    monkeypatch.setenv(clock.ZONE_ENV, "")  # empty is the default, not UTC
    assert clock.zone() == ZoneInfo(clock.DEFAULT_ZONE)


@pytest.mark.parametrize(
    ("given", "local"),
    [
        # spring forward: Paris jumps from 02:00 to 03:00 at 01:00 UTC on 2026-03-29
        ("2026-03-29T00:59:00Z", datetime(2026, 3, 29, 1, 59)),
        ("2026-03-29T01:30:00Z", datetime(2026, 3, 29, 3, 30)),
        ("2026-03-29T10:30:00+09:00", datetime(2026, 3, 29, 3, 30)),
        ("2026-03-28T20:30:00-05:00", datetime(2026, 3, 29, 3, 30)),
        # fall back: 03:00 becomes 02:00 again at 01:00 UTC on 2026-10-25; both instants read 02:30 locally
        ("2026-10-25T00:30:00Z", datetime(2026, 10, 25, 2, 30)),
        ("2026-10-25T01:30:00Z", datetime(2026, 10, 25, 2, 30)),
        # naive: already the retailer's local time, left as it is (even an hour that does not exist)
        ("2026-03-29T02:30:00", datetime(2026, 3, 29, 2, 30)),
    ],
)
def test_aware_times_become_the_retailers_local_time(given: str, local: datetime) -> None:
    for value in (given, pd.Timestamp(given), datetime.fromisoformat(given)):
        converted = clock.to_local(value)
        assert converted == local and converted.tzinfo is None, value


def test_to_local_keeps_the_instant_of_an_aware_python_datetime() -> None:
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=-7)))
    assert clock.to_local(moment) == datetime(2026, 7, 1, 21, 0)


def test_unpinned_it_is_the_machines_clock_in_the_retailers_zone_not_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(clock.NOW_ENV)
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: the machine's local date is often tomorrow
    time.tzset()
    try:
        before = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None)
        now = clock.now_datetime()
        after = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None)
        assert before <= now <= after
        assert before - timedelta(seconds=1) <= clock.now() <= after + timedelta(seconds=1)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_month_starts_in_the_retailers_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.NOW_ENV, "2028-06-15T10:00:00")
    assert clock.month_start() == pd.Timestamp("2028-06-01")
    monkeypatch.setenv(clock.NOW_ENV, "2028-05-31T23:30:00Z")  # already June in Paris (UTC+2)
    assert clock.month_start() == pd.Timestamp("2028-06-01")
    monkeypatch.setenv(clock.ZONE_ENV, "America/Los_Angeles")  # still May there
    assert clock.month_start() == pd.Timestamp("2028-05-01")
