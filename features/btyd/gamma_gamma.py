"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV").

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis", Journal of
Marketing Research 42(4), 415-430, section "Adding monetary value"; Fader & Hardie (2013), "The
Gamma-Gamma model of monetary value", http://brucehardie.com/notes/025/. A customer's transaction values
are Gamma(p, nu) around her mean p/nu, and nu ~ Gamma(q, gamma) across customers. Her observed mean
m_x over x transactions then has the closed-form density (note 025 eq. 1a)

    f(m_x | x) = Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q m_x^(px-1) x^(px) / (gamma + x m_x)^(px+q),

and her expected mean spend is a weighted average of the population mean p gamma / (q-1) and her own
m_x, weight growing with x (note 025 eq. 5):

    E[M | m_x, x] = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m_x = p (gamma + x m_x) / (px+q-1).

The model assumes spend independent of purchase frequency (check the correlation of x and m_x before
relying on it: 0.11 among the CDNOW sample's repeat buyers), and positive spend: it is fitted on
customers with at least one repeat purchase (x > 0) and a positive mean repeat spend, the convention of
the paper, which uses the 946 repeat buyers of the 2,357-customer CDNOW sample and reports p = 6.25,
q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

from typing import ClassVar, Self

import numpy as np
from scipy.special import digamma, gammaln

from features.btyd.base import BTYDModel
from features.btyd.fitting import maximise
from features.btyd.patterns import Factorised, as_float_array, check_weights, unique_patterns


def _check_spend(frequency: object, monetary_value: object) -> tuple[np.ndarray, np.ndarray]:
    x = as_float_array(frequency, "frequency")
    m = np.atleast_1d(np.asarray(monetary_value, dtype=np.float64))
    x, m = np.broadcast_arrays(x, m)
    if (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("frequency (x, repeat purchases) must be whole numbers >= 0")
    if np.isnan(m[x > 0]).any():
        raise ValueError("monetary_value is missing for customers with repeat purchases")
    return x, m


def log_likelihood_terms(
    params: np.ndarray,
    x: np.ndarray,
    m: np.ndarray,
    with_gradient: bool = False,
    x_factorised: Factorised | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-customer log f(m_x | x) (note 025 eq. 1a) and, if asked, its gradient in (p, q, gamma).

    As for BG/NBD, the special functions depend on x only and are evaluated on its distinct values."""
    p, q, gamma = params
    fx = x_factorised if x_factorised is not None else Factorised.of(x)
    u, at = fx.values, fx.index
    pu = p * u
    px = p * x
    log_total = np.log(gamma + x * m)
    log_m = np.log(m)
    of_x = gammaln(pu + q) - gammaln(pu) - gammaln(q) + q * np.log(gamma) + pu * np.log(u)
    ll = of_x[at] + (px - 1.0) * log_m - (px + q) * log_total
    if not with_gradient:
        return ll, None
    psi_puq = digamma(pu + q)
    d_p = x * ((psi_puq - digamma(pu) + np.log(u))[at] + log_m - log_total)
    d_q = (psi_puq - digamma(q) + np.log(gamma))[at] - log_total
    d_gamma = q / gamma - (px + q) / (gamma + x * m)
    return ll, np.stack([d_p, d_q, d_gamma])


class GammaGamma(BTYDModel):
    """Gamma-Gamma spend model: ``GammaGamma().fit(x, m_x)`` then ``p_, q_, gamma_`` and
    :meth:`conditional_expected_average_spend`. Spend is in the currency of ``m_x``."""

    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")

    def fit(self, frequency: object, monetary_value: object, weights: object | None = None) -> Self:
        """Maximum-likelihood fit on x and m_x (mean spend of the repeat purchases), one per customer.

        Customers with x = 0 or m_x <= 0 are left out (no repeat spend to model, or spend outside the
        Gamma's support), so the whole BTYD summary can be passed as it is; ``n_customers_`` says how
        many were used. Identical (x, m_x) rows are folded into weighted patterns first.
        """
        penalizer = self._check_penalizer()
        x, m = _check_spend(frequency, monetary_value)
        w = check_weights(weights, len(x))
        usable = (x > 0) & (m > 0)
        (x, m), w = unique_patterns((x[usable], m[usable]), w[usable])
        if w.sum() <= 0:
            raise ValueError("nothing to fit: no customer has a repeat purchase with positive spend")
        total = w.sum()
        fx = Factorised.of(x)

        def mean_log_likelihood(params: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = log_likelihood_terms(params, x, m, True, fx)
            return float(w @ ll / total), grad @ w / total

        # Method-of-moments flavoured starts: q > 1 keeps the population mean finite, gamma on the scale
        # of spend so that p gamma / (q - 1) starts near the mean of m_x.
        mean_spend = float(np.average(m, weights=w))
        starts = [(1.0, 2.0, mean_spend), (5.0, 3.0, 0.4 * mean_spend), (0.5, 1.5, 0.5 * mean_spend)]
        self._store(maximise(mean_log_likelihood, starts, penalizer), total, len(w))
        return self

    def _params(self) -> np.ndarray:
        self._check_fitted()
        return np.array([self.p_, self.q_, self.gamma_])  # type: ignore[attr-defined]

    def log_likelihood(self, frequency: object, monetary_value: object) -> np.ndarray:
        """Each customer's log f(m_x | x) at the fitted parameters (customers with x > 0, m_x > 0)."""
        x, m = _check_spend(frequency, monetary_value)
        return log_likelihood_terms(self._params(), x, m)[0]

    def expected_average_spend(self) -> float:
        """Population mean spend per transaction, p gamma / (q - 1); infinite when q <= 1."""
        p, q, gamma = self._params()
        return float(p * gamma / (q - 1.0)) if q > 1.0 else float("inf")

    def conditional_expected_average_spend(self, frequency: object, monetary_value: object) -> np.ndarray:
        """E[mean spend per transaction | x, m_x] (note 025 eq. 5); the population mean when x = 0,
        whatever m_x is (NaN included): with no repeat purchase there is nothing to shrink it towards."""
        x, m = _check_spend(frequency, monetary_value)
        p, q, gamma = self._params()
        own = np.where(x > 0, x * m, 0.0)
        return p * (gamma + own) / (p * x + q - 1.0)
