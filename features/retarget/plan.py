"""Campaign-planning arithmetic for phone advisers: how many calls fit, how many are answered, how many
conversions the call list's own probabilities promise, and what a target would need."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.errors import CibleError
from features.retarget.decide import CONVERSION


@dataclass(frozen=True)
class Capacity:
    advisers: int
    hours_per_day: float
    days: int
    minutes_per_call: float
    pickup_rate: float

    @property
    def calls(self) -> int:
        return math.floor(self.advisers * self.hours_per_day * 60 * self.days / self.minutes_per_call + 1e-9)

    def minutes_per_adviser_day(self) -> float:
        return self.hours_per_day * 60


@dataclass(frozen=True)
class Plan:
    calls_possible: int
    calls_made: int  # the capacity, or the call list when it is shorter
    answered: float
    expected_conversions: float
    list_size: int
    target: float | None
    reachable: bool | None
    calls_needed: int | None  # calls from the top of the list the target needs (None: the list cannot)
    advisers_needed: int | None  # at these hours and days
    days_needed: int | None  # with these advisers and hours


def plan_calls(probabilities: np.ndarray, capacity: Capacity, target: float | None = None) -> Plan:
    """Call the most likely first: expected conversions = pickup rate x the sum of the top-N probabilities
    (N = the calls that fit). The probabilities are the call list's own P(order | answered call)."""
    ranked = np.sort(np.asarray(probabilities, dtype=float))[::-1]
    made = min(capacity.calls, len(ranked))
    cumulative = capacity.pickup_rate * np.cumsum(ranked)
    expected = float(cumulative[made - 1]) if made else 0.0
    calls_needed = advisers = days = None
    reachable = None
    if target is not None:
        reachable = expected >= target - 1e-9
        enough = np.flatnonzero(cumulative >= target - 1e-9)
        if len(enough):
            calls_needed = int(enough[0]) + 1
            minutes = calls_needed * capacity.minutes_per_call
            advisers = math.ceil(minutes / (capacity.minutes_per_adviser_day() * capacity.days) - 1e-9)
            days = math.ceil(minutes / (capacity.minutes_per_adviser_day() * capacity.advisers) - 1e-9)
    return Plan(
        calls_possible=capacity.calls,
        calls_made=made,
        answered=made * capacity.pickup_rate,
        expected_conversions=expected,
        list_size=len(ranked),
        target=target,
        reachable=reachable,
        calls_needed=calls_needed,
        advisers_needed=advisers,
        days_needed=days,
    )


LAST_RUN = "last_lists.json"
CALLS_FILE = "calls.csv"


class CallListError(CibleError):
    """No call list, or one without valid conversion probabilities; the message says what to run."""


def last_run_file(home: Path) -> Path:
    """Where ``cible retarget lists`` records its last run (its time and output folder)."""
    return home / "retarget" / LAST_RUN


def call_list_path(home: Path, calls: Path | None = None) -> Path:
    """``calls`` if given, else the call list of the last ``cible retarget lists``."""
    if calls is None:
        pointer = last_run_file(home)
        if not pointer.exists():
            raise CallListError(
                "no call list given and none built yet: pass --calls FILE or run `cible retarget lists`"
            )
        calls = Path(json.loads(pointer.read_text())["out"]) / CALLS_FILE
    if not calls.exists():
        raise CallListError(f"call list {calls} does not exist")
    return calls


def read_call_list(path: Path) -> pd.DataFrame:
    """The call list, its conversion probabilities checked (numbers between 0 and 1)."""
    frame = pd.read_csv(path, dtype={"customer_id": str})
    if CONVERSION not in frame:
        raise CallListError(
            f"{path}: no {CONVERSION} column (expected a call list from `cible retarget lists`)"
        )
    probabilities = pd.to_numeric(frame[CONVERSION], errors="coerce")
    if probabilities.isna().any() or not probabilities.between(0, 1).all():
        raise CallListError(f"{path}: {CONVERSION} must be probabilities between 0 and 1")
    return frame.assign(**{CONVERSION: probabilities})
