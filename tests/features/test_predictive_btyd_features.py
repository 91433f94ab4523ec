"""BTYD read from the features: (x, t_x, T, m_x) by hand on the tiny data set, and the closed forms of
P(order within t) and the restricted mean wait against direct integration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from features.btyd import BGNBD, MBGNBD
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.predictive.btyd_features import BTYD_COLUMNS, BTYDFeatures, expected_wait, probability_of_order
from features.predictive.inputs import btyd_inputs
from tests.tiny_data import AS_OF, tiny_frames

PARAMS = {"r": 0.8, "alpha": 30.0, "a": 0.6, "b": 2.5}


def fixed(model_class: type) -> BGNBD | MBGNBD:
    return model_class.from_dict({"model": model_class.__name__, "params": PARAMS})


def test_btyd_inputs_by_hand() -> None:
    features = build_customer_features(Dataset.from_frames(tiny_frames()), AS_OF).set_index("customer_id")
    inputs = btyd_inputs(features)
    # C1: purchases O1 (01-10 10:00, EUR 40), O2 (02-09, EUR 5), O3 (04-09 10:00, EUR 65); the return
    # R1 is not a purchase. T = floor(111.58) = 111 days, last order floor(21.58) = 21 days ago.
    # C2: one purchase (03-05 15:00) before the cutoff; its June order is in the future.
    assert features.index.tolist() == ["C1", "C2"]
    np.testing.assert_array_equal(inputs.buyer, [True, True])
    np.testing.assert_array_equal(inputs.x, [2.0, 0.0])
    np.testing.assert_array_equal(inputs.T, [111.0, 56.0])
    np.testing.assert_array_equal(inputs.t_x, [90.0, 0.0])
    assert inputs.m[0] == pytest.approx((5 + 65) / 2)
    assert np.isnan(inputs.m[1])


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD])
@pytest.mark.parametrize(("x", "t_x", "age"), [(0.0, 0.0, 40.0), (3.0, 50.0, 80.0), (12.0, 300.0, 310.0)])
def test_closed_forms_match_integration(model_class: type, x: float, t_x: float, age: float) -> None:
    model = fixed(model_class)
    alive = float(model.probability_alive(x, t_x, age)[0])
    a_plus_t, k = PARAMS["alpha"] + age, PARAMS["r"] + x

    def silent(t: float) -> float:  # P(no order in (T, T + t])
        return 1.0 - alive + alive * (a_plus_t / (a_plus_t + t)) ** k

    assert probability_of_order(model, 90.0, x, t_x, age)[0] == pytest.approx(1.0 - silent(90.0), rel=1e-12)
    assert expected_wait(model, 180.0, x, t_x, age)[0] == pytest.approx(quad(silent, 0.0, 180.0)[0], rel=1e-9)


def test_probability_of_order_agrees_with_expected_orders_for_a_fresh_customer() -> None:
    # Just after the first order, alive for sure: P(an order in t) = 1 - (alpha / (alpha + t))^r exactly.
    model = fixed(BGNBD)
    expected = 1.0 - (30.0 / 60.0) ** 0.8
    assert probability_of_order(model, 30.0, 0.0, 0.0, 0.0)[0] == pytest.approx(expected, rel=1e-12)


def test_btyd_features_leave_prospects_empty_and_rank_silence_as_risk(small_synthetic) -> None:
    features = build_customer_features(small_synthetic, "2026-08-01")
    btyd = BTYDFeatures(horizon_days=90).fit(features)
    columns = btyd.transform(features)
    prospects = features["n_orders"].to_numpy() == 0
    assert list(columns.columns) == list(BTYD_COLUMNS)
    assert columns[prospects].isna().all().all() and columns[~prospects].notna().all().all()
    # Same customers, 200 more days of silence: every probability of an order falls or stays.
    quiet = features[~prospects].copy()
    quiet["days_since_first_order"] += 200
    quiet["days_since_last_order"] += 200
    before = btyd.transform(features[~prospects])["btyd_p_order"].to_numpy()
    after = btyd.transform(quiet)["btyd_p_order"].to_numpy()
    assert (after <= before + 1e-12).all() and (after < before).mean() > 0.9


def test_value_is_orders_times_spend(small_synthetic) -> None:
    frame = pd.DataFrame(
        {
            "n_orders": [4.0, 1.0, 0.0],
            "days_since_first_order": [200.0, 50.0, np.nan],
            "days_since_last_order": [20.0, 50.0, np.nan],
            "avg_order_value": [50.0, 80.0, np.nan],
            "first_order_value": [20.0, 80.0, np.nan],
        }
    )
    btyd = BTYDFeatures(horizon_days=365).fit(build_customer_features(small_synthetic, "2026-08-01"))
    orders = btyd.quantity(frame, "bgnbd", "expected_orders")
    value = btyd.quantity(frame, "bgnbd", "expected_value")
    # The first customer's mean repeat order is (4 x 50 - 20) / 3 = 60, shrunk by Gamma-Gamma.
    spend = btyd.gamma_gamma_.conditional_expected_average_spend([3.0, 0.0], [60.0, 0.0])
    np.testing.assert_allclose(value[:2], orders[:2] * spend)
    assert np.isnan(value[2])


def test_a_fit_running_off_to_infinity_is_regularised() -> None:
    # Purchases spread uniformly with no drop-out: the MLE of a and b runs off to infinity, where the
    # predictions overflow; the smallest penalty that keeps them finite is used instead.
    rng = np.random.default_rng(0)
    history = pd.DataFrame(
        {
            "n_orders": rng.integers(1, 8, 400).astype(float),
            "days_since_first_order": rng.uniform(100, 300, 400),
            "avg_order_value": rng.uniform(30, 90, 400),
        }
    )
    history["days_since_last_order"] = history["days_since_first_order"] * rng.uniform(0, 1, 400)
    history["first_order_value"] = history["avg_order_value"]
    inputs = btyd_inputs(history)
    plain = BGNBD().fit(inputs.x, inputs.t_x, inputs.T)
    with np.errstate(all="ignore"):
        assert not np.isfinite(
            plain.conditional_expected_purchases(365.0, inputs.x, inputs.t_x, inputs.T)
        ).all()
    btyd = BTYDFeatures(horizon_days=365).fit(history)
    assert btyd.bgnbd_.penalizer > 0
    assert np.isfinite(btyd.quantity(history, "bgnbd", "expected_value")).all()
