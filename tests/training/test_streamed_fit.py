"""fit_streamed: a LightGBM model fitted on rows read a block at a time is the one fitted on the matrix."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

import training.streamed_fit as streamed
from training.streamed_fit import BlockRows, fit_streamed


def _data(n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 6))
    x[rng.random(n) < 0.9, 1] = 0.0  # sparse: filtered out with LightGBM's min_data_in_leaf, kept without
    x[rng.random(n) < 0.1, 2] = np.nan
    x[:, 5] = rng.integers(0, 4, size=n)  # a categorical code
    y = (x[:, 0] + 0.5 * x[:, 5] + rng.normal(size=n) > 0.5).astype(int)
    return x, y


def test_the_same_model_as_from_the_matrix_with_sampled_bins(monkeypatch) -> None:
    monkeypatch.setattr(streamed, "BLOCK_ROWS", 256)  # many blocks, and single rows across them
    monkeypatch.setattr(BlockRows, "batch_size", 256)
    x, y = _data()
    at = np.flatnonzero(np.arange(len(x)) % 3 != 1)  # a subset, as the treated or control rows
    named = {"feature_name": [f"f{i}" for i in range(6)], "categorical_feature": ["f5"]}
    settings = {
        "n_estimators": 20,
        "num_leaves": 7,
        "min_child_samples": 100,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.8,
        "random_state": 7,
        "bin_construct_sample_cnt": 500,  # the bins from a sample of the rows
        "verbose": -1,
    }
    rows = BlockRows(lambda start, stop: x[start:stop], at, x.shape[1])
    for model in (lgb.LGBMClassifier, lgb.LGBMRegressor):
        expected = model(**settings).fit(x[at], y[at], **named)
        got = fit_streamed(model(**settings), rows, y[at], **named)
        assert got.booster_.model_to_string() == expected.booster_.model_to_string()
    assert lgb.sklearn.Dataset is lgb.Dataset  # the wrapper's own Dataset again after the fit


def test_blocks_are_the_rows_in_order() -> None:
    x, _ = _data(1000)
    at = np.flatnonzero(np.arange(1000) % 7 == 0)
    rows = BlockRows(lambda start, stop: x[start:stop], at, x.shape[1])
    np.testing.assert_array_equal(np.concatenate(list(rows.blocks())), x[at])
    np.testing.assert_array_equal(rows[5], x[at[5]])
