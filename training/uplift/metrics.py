"""Uplift metrics in numpy. scikit-uplift 0.5.1 (its last release, 2022) still imports with
scikit-learn 1.9 but calls ``sklearn.utils.extmath.stable_cumsum``, deprecated in 1.8 and removed in
1.10, so it would break at the next scikit-learn; the metrics are a few lines, tested by hand here.

Convention: customers are ranked by a score, best first; the Qini curve at the top k is the incremental
number of converters ``Q(k) = Y_T(k) - Y_C(k) N_T(k) / N_C(k)`` (treated converters minus control
converters scaled to the treated count; 0 while no control customer is ranked). Random targeting is the
straight line from (0, 0) to (n, Q(n)). The **Qini coefficient** is the mean over k = 1..n of Q(k) minus
that line, divided by n: incremental converters per customer gained over random targeting, so random
targeting scores 0 in expectation and a perfect ranking of a positive effect scores > 0. **uplift@30%**
is the treated-minus-control conversion rate among the top 30% minus the same difference over everyone:
again 0 for random targeting.
"""

from __future__ import annotations

import numpy as np


def _ranked(score: np.ndarray, y: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    return np.asarray(y, dtype=float)[order], np.asarray(treated, dtype=bool)[order]


def qini_curve(score: np.ndarray, y: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Q(k) for k = 1..n (see the module docstring)."""
    y, t = _ranked(score, y, treated)
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * ~t)
    scaled = np.divide(y_c * n_t, n_c, out=np.zeros_like(y_c), where=n_c > 0)
    return y_t - scaled


def qini_coefficient(score: np.ndarray, y: np.ndarray, treated: np.ndarray) -> float:
    q = qini_curve(score, y, treated)
    n = len(q)
    if n == 0:
        return float("nan")
    random = q[-1] * np.arange(1, n + 1) / n
    return float(np.mean(q - random) / n)


def effect(y: np.ndarray, treated: np.ndarray) -> float:
    y, t = np.asarray(y, dtype=float), np.asarray(treated, dtype=bool)
    if not t.any() or t.all():
        return float("nan")
    return float(y[t].mean() - y[~t].mean())


def uplift_at(score: np.ndarray, y: np.ndarray, treated: np.ndarray, share: float = 0.3) -> float:
    """Effect among the top ``share`` by score minus the effect over everyone (random targeting = 0)."""
    y_r, t_r = _ranked(score, y, treated)
    top = max(1, round(share * len(y_r)))
    return effect(y_r[:top], t_r[:top]) - effect(y_r, t_r)
