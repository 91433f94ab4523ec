"""Qini and uplift@k worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from training.uplift.metrics import qini_coefficient, qini_curve, uplift_at


def test_qini_curve_by_hand() -> None:
    # ranked by score: T1 y=1, C y=0, T y=1, C y=1, T y=0, C y=0
    score = np.array([6, 5, 4, 3, 2, 1])
    y = np.array([1, 0, 1, 1, 0, 0])
    treated = np.array([1, 0, 1, 0, 1, 0], dtype=bool)
    # k=1: 1 - 0 = 1 (no control yet: nothing to scale); k=2: 1 - 0*1/1 = 1; k=3: 2 - 0*2/1 = 2;
    # k=4: 2 - 1*2/2 = 1; k=5: 2 - 1*3/2 = 0.5; k=6: 2 - 1*3/3 = 1
    assert qini_curve(score, y, treated) == pytest.approx([1, 1, 2, 1, 0.5, 1])
    random = np.array([1, 2, 3, 4, 5, 6]) / 6
    assert qini_coefficient(score, y, treated) == pytest.approx(
        np.mean(np.array([1, 1, 2, 1, 0.5, 1]) - random) / 6
    )
    # the order of rows does not matter, only the scores
    perm = np.array([3, 0, 5, 1, 4, 2])
    assert qini_coefficient(score[perm], y[perm], treated[perm]) == pytest.approx(
        qini_coefficient(score, y, treated)
    )


def test_uplift_at_k_by_hand() -> None:
    score = np.array([6, 5, 4, 3, 2, 1, 0, -1, -2, -3])
    y = np.array([1, 0, 1, 0, 0, 1, 0, 1, 0, 1])
    treated = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0], dtype=bool)
    # top 40% = first 4: treated 2/2, control 0/2 -> 1; everyone: treated 2/5, control 3/5 -> -0.2
    assert uplift_at(score, y, treated, 0.4) == pytest.approx(1 - (-0.2))


def test_random_scores_average_zero_and_a_perfect_ranking_is_positive() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    persuadable = rng.random(n) < 0.3
    treated = rng.random(n) < 0.5
    y = (treated & persuadable).astype(int)
    random_scores = [qini_coefficient(rng.random(n), y, treated) for _ in range(20)]
    assert abs(np.mean(random_scores)) < 0.01
    assert qini_coefficient(persuadable.astype(float), y, treated) > 0.05
    assert abs(np.mean([uplift_at(rng.random(n), y, treated) for _ in range(20)])) < 0.02
