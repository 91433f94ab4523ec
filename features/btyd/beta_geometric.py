"""The likelihood and predictions shared by BG/NBD and MBG/NBD, which differ in one assumption only.

Both models (Fader, Hardie & Lee 2005; Batislam, Denizel & Filiztekin 2007) say: while alive, a customer
buys as a Poisson process of rate lambda ~ Gamma(r, alpha); after each purchase she drops out with
probability p ~ Beta(a, b). BG/NBD lets her drop out only after a *repeat* purchase; MBG/NBD also
right after the first one, so a customer who never came back may be dead. Written with the shift
``s`` (0 for BG/NBD, 1 for MBG/NBD) and the gate ``g`` (x > 0 for BG/NBD, always for MBG/NBD), the
likelihood of a customer's (x, t_x, T) (FHL 2005 eq. 6 when s = 0) is

    L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x+s) / B(a, b) / (alpha+T)^(r+x) * (1 + g e^D),
    D = log a - log(b+x+s-1) + (r+x) [log(alpha+T) - log(alpha+t_x)],

where ``e^D`` is the odds that the customer died just after her last purchase rather than being alive
at T, so P(alive | x, t_x, T) = 1 / (1 + g e^D) (Fader, Hardie & Lee, "Computing P(alive) using the
BG/NBD model", brucehardie.com/notes/021; Batislam et al. 2007, appendix A). Everything is computed in
log space (``betaln``, ``softplus`` of D), so no term overflows at large x or T.

The conditional expectation of purchases in (T, T+t] (FHL 2005 eq. 10) contains
(1-z)^(r+x) 2F1(r+x, b+x+s; a+b+x+s-1; z) with z = t/(alpha+T+t). Its first two arguments grow with x
and the series then loses precision or overflows; Euler's transformation
2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns the product into
(1-z)^(a-1) 2F1(a+b+s-1-r, a-1; a+b+x+s-1; z), whose first two arguments do not depend on x. The
unconditional E[X(t)] (FHL eq. 9) is the same expression for a customer just after her first
purchase (x = t_x = T = 0). The formulas divide by a - 1 and are undefined at exactly a = 1.
"""

from __future__ import annotations

from typing import ClassVar, Self

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, log_expit, xlog1py

from features.btyd.base import BTYDModel
from features.btyd.fitting import maximise
from features.btyd.patterns import Factorised, as_float_array, check_rfm, check_weights, unique_patterns


def _log_dead_odds(params: np.ndarray, s: int, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """D above: log odds of "dropped out after the last purchase" against "alive at T"."""
    r, alpha, a, b = params
    denominator = np.maximum(b + x + s - 1, np.finfo(np.float64).tiny)  # only reached with g = 0 if <= 0
    return np.log(a) - np.log(denominator) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))


def _gate(s: int, x: np.ndarray) -> np.ndarray:
    return np.ones_like(x, dtype=bool) if s else x > 0


def log_likelihood_terms(
    params: np.ndarray,
    s: int,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    with_gradient: bool = False,
    x_factorised: Factorised | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-customer log-likelihood and, if asked, its gradient with respect to (r, alpha, a, b).

    The special functions depend on x only: they are evaluated on its distinct values and gathered
    (pass ``x_factorised`` to factorise once for many evaluations, as a fit does)."""
    r, alpha, a, b = params
    fx = x_factorised if x_factorised is not None else Factorised.of(x)
    u, at = fx.values, fx.index
    gate = _gate(s, x)
    d = _log_dead_odds(params, s, x, t_x, T)
    log_alpha_T = np.log(alpha + T)
    # log L = A1 + T1 + g * softplus(D), A1 + T1 = [terms of x only] - (r+x) log(alpha+T)
    of_x = gammaln(r + u) - gammaln(r) + r * np.log(alpha) + betaln(a, b + u + s) - betaln(a, b)
    ll = of_x[at] - (r + x) * log_alpha_T + np.where(gate, -log_expit(-d), 0.0)
    if not with_gradient:
        return ll, None
    w = np.where(gate, expit(d), 0.0)  # posterior probability of "dropped out after t_x"
    psi_ab, psi_abus = digamma(a + b), digamma(a + b + u + s)
    d_r = (
        (digamma(r + u) - digamma(r) + np.log(alpha))[at]
        - log_alpha_T
        + w * (log_alpha_T - np.log(alpha + t_x))
    )
    d_alpha = r / alpha - (r + x) / (alpha + T) + w * (r + x) * (1.0 / (alpha + T) - 1.0 / (alpha + t_x))
    d_a = (psi_ab - psi_abus)[at] + w / a
    tiny = np.finfo(np.float64).tiny  # b+x+s-1 <= 0 only where the gate (and so w) is 0
    d_b = (digamma(b + u + s) - digamma(b) + psi_ab - psi_abus)[at] - w / np.maximum(b + x + s - 1, tiny)
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


class BetaGeometricNBD(BTYDModel):
    """Base of :class:`~features.btyd.bgnbd.BGNBD` and :class:`~features.btyd.mbgnbd.MBGNBD`.

    Times (recency, T, t) are in whatever unit the summary used (weeks for the CDNOW references);
    ``alpha`` is in that unit too, the other parameters are unitless.
    """

    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    SHIFT: ClassVar[int] = 0  # s: 0 = BG/NBD, 1 = MBG/NBD

    def fit(self, frequency: object, recency: object, T: object, weights: object | None = None) -> Self:
        """Maximum-likelihood fit on x (repeat purchases), t_x and T, one value per customer.

        ``weights`` (e.g. counts of customers sharing the row) multiply each customer's log-likelihood.
        The data are folded into unique (x, t_x, T) patterns first, so a fit on a million customers
        costs about what a fit on their few thousand patterns costs.
        """
        penalizer = self._check_penalizer()
        x, t_x, age = check_rfm(frequency, recency, T)
        w = check_weights(weights, len(x))
        (x, t_x, age), w = unique_patterns((x, t_x, age), w)
        if w.sum() <= 0:
            raise ValueError("nothing to fit: no customer has a positive weight")
        total = w.sum()
        fx = Factorised.of(x)

        def mean_log_likelihood(params: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = log_likelihood_terms(params, self.SHIFT, x, t_x, age, True, fx)
            return float(w @ ll / total), grad @ w / total

        scale = float(np.average(age, weights=w)) or 1.0  # alpha is a time: start it on the data's scale
        starts = [(1.0, scale, 1.0, 1.0), (0.5, scale / 4, 0.5, 2.0), (2.0, scale * 4, 2.0, 0.5)]
        self._store(maximise(mean_log_likelihood, starts, penalizer), total, len(w))
        return self

    def _params(self) -> np.ndarray:
        self._check_fitted()
        return np.array([self.r_, self.alpha_, self.a_, self.b_])  # type: ignore[attr-defined]

    def log_likelihood(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """Each customer's log-likelihood at the fitted parameters."""
        x, t_x, age = check_rfm(frequency, recency, T)
        return log_likelihood_terms(self._params(), self.SHIFT, x, t_x, age)[0]

    def probability_alive(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """P(still a customer at T | x, t_x, T) = 1 / (1 + g e^D) (module docstring; notes/021)."""
        x, t_x, age = check_rfm(frequency, recency, T)
        d = _log_dead_odds(self._params(), self.SHIFT, x, t_x, age)
        return np.where(_gate(self.SHIFT, x), expit(-d), 1.0)

    def conditional_expected_purchases(
        self, t: object, frequency: object, recency: object, T: object
    ) -> np.ndarray:
        """E[purchases in (T, T+t] | x, t_x, T] (FHL 2005 eq. 10; its MBG/NBD form in Hoppe & Wagner 2007).

        ``t`` may be one horizon for all customers or one per customer.
        """
        x, t_x, age = check_rfm(frequency, recency, T)
        t = as_float_array(t, "t")
        if (t < 0).any():
            raise ValueError("the horizon t must be >= 0")
        params = self._params()
        r, alpha, a, b = params
        s = self.SHIFT
        z = t / (alpha + age + t)
        # (1-z)^(a-1) * 2F1(a+b+s-1-r, a-1; a+b+x+s-1; z), after Euler's transformation (module doc).
        tail = np.exp(xlog1py(a - 1.0, -z)) * hyp2f1(a + b + s - 1.0 - r, a - 1.0, a + b + x + s - 1.0, z)
        given_alive = (a + b + x + s - 1.0) / (a - 1.0) * (1.0 - tail)
        d = _log_dead_odds(params, s, x, t_x, age)
        return given_alive * np.where(_gate(s, x), expit(-d), 1.0)

    def unconditional_expected_purchases(self, t: object) -> np.ndarray:
        """E[X(t)]: repeat purchases in (0, t] of a customer who made her first purchase at 0 (FHL 2005
        eq. 9): the curve of a new cohort's cumulative repeat sales per customer."""
        t = as_float_array(t, "t")
        zeros = np.zeros_like(t)
        return self.conditional_expected_purchases(t, zeros, zeros, zeros)
