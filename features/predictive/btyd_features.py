"""BG/NBD and MBG/NBD read as per-customer predictions over a horizon, for scoring and for stacking.

Both models say that while alive a customer orders as a Poisson process whose rate, given her history
(x, t_x, T) and given that she is alive at T, is Gamma(r + x, alpha + T); a drop-out can only follow an
order. So "no order in (T, T + t]" means either she is gone, or she is alive and her Poisson clock does
not tick:

    P(no order in t) = 1 - P(alive) + P(alive) * (A / (A + t))^k,   A = alpha + T,  k = r + x,

which gives P(at least one order in t) and, integrated over [0, h], the restricted mean wait until the
next order, E[min(wait, h)] = h - P(alive) * (h - I),  I = A / (k - 1) * (1 - (A / (A + h))^(k - 1))
(A log(1 + h / A) when k = 1). Expected orders are the models' own
``conditional_expected_purchases``; expected spend multiplies them by Gamma-Gamma's mean order value.
Time is in days throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from features.btyd import BGNBD, MBGNBD, GammaGamma
from features.btyd.beta_geometric import BetaGeometricNBD
from features.customer_features import names as n
from features.predictive.inputs import btyd_inputs

BTYD_P_ALIVE = "btyd_p_alive"  # MBG/NBD: P(still a customer), below 1 for one-time buyers too
BTYD_P_ORDER = "btyd_p_order"  # MBG/NBD: P(at least one order in the horizon)
BTYD_EXPECTED_ORDERS = "btyd_expected_orders"  # BG/NBD: expected orders in the horizon
BTYD_EXPECTED_VALUE = "btyd_expected_value"  # BG/NBD x Gamma-Gamma: expected spend in the horizon
BTYD_COLUMNS: tuple[str, ...] = (BTYD_P_ALIVE, BTYD_P_ORDER, BTYD_EXPECTED_ORDERS, BTYD_EXPECTED_VALUE)

BTYD_MODELS: tuple[str, ...] = ("bgnbd", "mbgnbd")
QUANTITIES: tuple[str, ...] = ("p_order", "expected_orders", "expected_value", "expected_wait")
# Fewer buyers than this and four parameters are not identified well enough to be worth a candidate.
MIN_BUYERS = 30
# Penalties tried, smallest first, when the maximum-likelihood fit runs off to infinity (see _fit_finite).
FALLBACK_PENALIZERS: tuple[float, ...] = (1e-6, 1e-5, 1e-4, 1e-3)


def probability_of_order(model: BetaGeometricNBD, t: float, x, t_x, age) -> np.ndarray:
    """P(at least one order in (T, T + t] | x, t_x, T)."""
    alive = model.probability_alive(x, t_x, age)
    a_plus_t = model.alpha_ + age  # type: ignore[attr-defined]
    silent = np.exp(-(model.r_ + x) * np.log1p(t / a_plus_t))  # type: ignore[attr-defined]
    return alive * (1.0 - silent)


def expected_wait(model: BetaGeometricNBD, h: float, x, t_x, age) -> np.ndarray:
    """E[min(days to the next order, h) | x, t_x, T]: the restricted mean wait (module docstring)."""
    alive = model.probability_alive(x, t_x, age)
    a_plus_t = model.alpha_ + age  # type: ignore[attr-defined]
    k_minus_1 = model.r_ + x - 1.0  # type: ignore[attr-defined]
    log_ratio = np.log1p(h / a_plus_t)
    near_one = np.abs(k_minus_1) < 1e-9
    safe = np.where(near_one, 1.0, k_minus_1)
    integral = np.where(near_one, a_plus_t * log_ratio, a_plus_t * -np.expm1(-safe * log_ratio) / safe)
    return h - alive * (h - integral)


class BTYDFeatures(BaseEstimator, TransformerMixin):
    """Fits BG/NBD, MBG/NBD and Gamma-Gamma on the buyers of a feature frame (their histories only: no
    label is read), then predicts over ``horizon_days`` for any frame. Non-buyers get NaN."""

    def __init__(self, horizon_days: float = 90.0, penalizer: float = 0.0):
        self.horizon_days = horizon_days
        self.penalizer = penalizer

    def fit(self, frame: pd.DataFrame, y=None) -> BTYDFeatures:
        inputs = btyd_inputs(frame)
        b = inputs.buyer
        if b.sum() < MIN_BUYERS:
            raise ValueError(f"BTYD needs at least {MIN_BUYERS} customers with an order, got {b.sum()}")
        x, t_x, age = inputs.x[b], inputs.t_x[b], inputs.T[b]
        self.bgnbd_ = self._fit_finite(BGNBD, x, t_x, age)
        self.mbgnbd_ = self._fit_finite(MBGNBD, x, t_x, age)
        spend = np.nan_to_num(inputs.m[b], nan=0.0)
        # Gamma-Gamma needs repeat buyers with a positive mean spend; data without them get the plain
        # mean order value instead (the model's own answer for a customer with x = 0 anyway).
        usable = (x > 0) & (spend > 0)
        self.gamma_gamma_ = GammaGamma(penalizer=self.penalizer).fit(x, spend) if usable.sum() >= 10 else None
        orders = frame[n.N_ORDERS].to_numpy(dtype=np.float64)[b]
        values = frame[n.AVG_ORDER_VALUE].to_numpy(dtype=np.float64)[b]
        self.mean_order_value_ = float(np.average(np.nan_to_num(values), weights=orders))
        return self

    def _fit_finite(self, kind: type[BetaGeometricNBD], x, t_x, age) -> BetaGeometricNBD:
        """The fit at ``penalizer``, or at the first of :data:`FALLBACK_PENALIZERS` above it whose
        predictions are finite. Data with no sign of drop-out heterogeneity (MBG/NBD on Online Retail)
        send a and b to infinity, where the likelihood is flat (a 1e-6 penalty costs 0.6 of 24,311
        log-likelihood points there) and the predictions' hypergeometric term overflows."""
        for penalizer in (self.penalizer, *(p for p in FALLBACK_PENALIZERS if p > self.penalizer)):
            model = kind(penalizer=penalizer).fit(x, t_x, age)
            with np.errstate(all="ignore"):
                probe = model.conditional_expected_purchases(float(self.horizon_days), x, t_x, age)
            if np.isfinite(probe).all():
                return model
        raise ValueError(f"no finite {kind.__name__} fit, even at penalizer {FALLBACK_PENALIZERS[-1]}")

    def _model(self, name: str) -> BetaGeometricNBD:
        if name not in BTYD_MODELS:
            raise ValueError(f"unknown BTYD model {name!r}: use one of {', '.join(BTYD_MODELS)}")
        return self.bgnbd_ if name == "bgnbd" else self.mbgnbd_

    def order_value(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        if self.gamma_gamma_ is None:
            return np.full(len(x), self.mean_order_value_)
        return self.gamma_gamma_.conditional_expected_average_spend(x, np.where(x > 0, m, 0.0))

    def quantity(self, frame: pd.DataFrame, model: str, quantity: str) -> np.ndarray:
        """One prediction of ``model`` ("bgnbd", "mbgnbd") per row over the horizon; NaN for non-buyers."""
        inputs = btyd_inputs(frame)
        b = inputs.buyer
        x, t_x, age = inputs.x[b], inputs.t_x[b], inputs.T[b]
        fitted, h = self._model(model), float(self.horizon_days)
        if quantity == "p_order":
            values = probability_of_order(fitted, h, x, t_x, age)
        elif quantity == "expected_orders":
            values = fitted.conditional_expected_purchases(h, x, t_x, age)
        elif quantity == "expected_value":
            values = fitted.conditional_expected_purchases(h, x, t_x, age) * self.order_value(x, inputs.m[b])
        elif quantity == "expected_wait":
            values = expected_wait(fitted, h, x, t_x, age)
        else:
            raise ValueError(f"unknown BTYD quantity {quantity!r}: use one of {', '.join(QUANTITIES)}")
        out = np.full(len(frame), np.nan)
        out[b] = values
        return out

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The stacking columns of :data:`BTYD_COLUMNS`, indexed like ``frame``."""
        inputs = btyd_inputs(frame)
        alive = np.full(len(frame), np.nan)
        b = inputs.buyer
        alive[b] = self.mbgnbd_.probability_alive(inputs.x[b], inputs.t_x[b], inputs.T[b])
        return pd.DataFrame(
            {
                BTYD_P_ALIVE: alive,
                BTYD_P_ORDER: self.quantity(frame, "mbgnbd", "p_order"),
                BTYD_EXPECTED_ORDERS: self.quantity(frame, "bgnbd", "expected_orders"),
                BTYD_EXPECTED_VALUE: self.quantity(frame, "bgnbd", "expected_value"),
            },
            index=frame.index,
        )


def with_btyd(frame: pd.DataFrame, btyd: BTYDFeatures) -> pd.DataFrame:
    """``frame`` with the stacking columns (re)computed by ``btyd``."""
    extra = btyd.transform(frame)
    return pd.concat([frame.drop(columns=[c for c in BTYD_COLUMNS if c in frame]), extra], axis=1)
