"""The predictive trees fitted on spans of ``model_array`` rows are the model a fit on the frame gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor

from features.predictive.boosted import BINARY, REGRESSION, BoostedScorer
from features.predictive.inputs import categories_of, model_array, model_matrix
from training import streamed_fit
from training.predictive.streamed_trees import fit_trees

COLUMNS = ["recency", "spend", "web", "channel", "region"]
SMALL_TREES = {"n_estimators": 30, "num_leaves": 7, "min_child_samples": 20}


def frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spend = rng.gamma(2.0, 50.0, rows)
    spend[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "recency": rng.integers(0, 400, rows),
            "spend": spend,
            "web": rng.random(rows) < 0.4,
            "channel": rng.choice(np.array(["web", "store", "phone", None], dtype=object), rows),
            "region": pd.Series(rng.choice(["Nord", "Sud", "Est"], rows), dtype="str"),
        }
    )


def label(x: pd.DataFrame, objective: str, seed: int) -> np.ndarray:
    signal = (
        -x["recency"].to_numpy() / 200 + (x["channel"] == "web").to_numpy() + np.nan_to_num(x["spend"]) / 100
    )
    noise = np.random.default_rng(seed).normal(size=len(x))
    return (signal + noise > 0).astype(float) if objective == BINARY else signal + noise


@pytest.mark.parametrize("objective", [BINARY, REGRESSION])
def test_the_same_model_and_scores_as_a_fit_on_the_frame(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    train, served = frame(3000, 1), frame(500, 2)
    served.loc[:10, "channel"] = "fax"  # a level unseen in training: unknown, as on the frame
    served = served.drop(columns="spend")  # a column gone since (a category no longer sold): all missing
    y = label(train, objective, 3)
    monkeypatch.setattr(streamed_fit, "BLOCK_ROWS", 700)  # several spans, the last one short
    monkeypatch.setattr(streamed_fit.BlockRows, "batch_size", 700)
    scorer = fit_trees(
        BoostedScorer(objective, COLUMNS, SMALL_TREES, monotone={"recency": -1}, seed=5), train, y
    )

    # the fit as it was: LightGBM handed the pandas matrix of the same columns and levels
    levels = categories_of(train, COLUMNS)
    estimator = (LGBMClassifier if objective == BINARY else LGBMRegressor)(n_jobs=1, **scorer.settings())
    estimator.fit(model_matrix(train, COLUMNS, levels), y)

    assert scorer.estimator_.booster_.model_to_string() == estimator.booster_.model_to_string()
    matrix = model_matrix(served, COLUMNS, levels)
    np.testing.assert_array_equal(
        scorer.score(served), estimator.predict(matrix, raw_score=objective == BINARY)
    )
    np.testing.assert_array_equal(
        scorer.contributions(served)[0], estimator.predict(matrix, pred_contrib=True)[:, :-1]
    )


def test_model_array_holds_what_lightgbm_makes_of_the_frame() -> None:
    x = frame(200, 4)
    levels = categories_of(x, COLUMNS)
    array = model_array(x, [*COLUMNS, "gone"], levels)
    assert array.dtype == np.float64 and array.flags.c_contiguous
    matrix = model_matrix(x, [*COLUMNS, "gone"], levels)
    codes = matrix.apply(lambda col: col.cat.codes.replace(-1, np.nan) if col.dtype == "category" else col)
    np.testing.assert_array_equal(array, codes.to_numpy(dtype=np.float64))
    assert np.isnan(array[:, -1]).all()
