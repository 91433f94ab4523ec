"""The control-group planner against the textbook two-proportion sample size."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features.campaigns.sample_size import baseline_conversion, detectable_lift, plan_control
from features.dataset import Dataset
from tests.tiny_data import tiny_frames

Z = 1.959963984540054 + 0.8416212335729143  # two-sided 5%, power 80%


def test_share_meets_the_formula_and_half_a_percent_less_does_not() -> None:
    plan = plan_control(audience=20_000, baseline=0.10, lift=0.02)
    assert plan.share is not None

    def se(s: float) -> float:
        return math.sqrt(0.12 * 0.88 / ((1 - s) * 20_000) + 0.10 * 0.90 / (s * 20_000))

    assert Z * se(plan.share) <= 0.02 and Z * se(plan.share - 0.005) > 0.02
    assert plan.control == round(plan.share * 20_000)
    # the textbook equal split for 10% -> 12%: n = Z^2 (p0 q0 + p1 q1) / d^2 per group, ~3,839
    per_group = Z**2 * (0.10 * 0.90 + 0.12 * 0.88) / 0.02**2
    assert per_group == pytest.approx(3839, abs=1)
    assert detectable_lift(int(2 * per_group) + 2, 0.10, 0.5) == pytest.approx(0.02, abs=1e-4)


def test_too_small_an_audience_says_what_it_can_detect() -> None:
    plan = plan_control(audience=500, baseline=0.10, lift=0.01)
    assert plan.share is None and plan.detectable_at_max > 0.05


def test_baseline_from_each_customers_order_rate() -> None:
    data = Dataset.from_frames(tiny_frames())
    # C1: 3 orders (O1, O2, O3; R1 is a return) in the year before 2024-05-01, C2: 1 (O4); C3 not yet
    got = baseline_conversion(data, pd.Series(["C1", "C2"]), pd.Timestamp("2024-05-01"), 7)
    assert got == pytest.approx(((1 - math.exp(-3 / 365 * 7)) + (1 - math.exp(-1 / 365 * 7))) / 2)
