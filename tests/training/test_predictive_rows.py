"""The training rows stacked once (issue 13: train all in 1.5 GB at 100,000 customers): the same rows,
labels and BTYD columns as each cutoff's own frame, without holding the cutoffs' features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import columns as c
from features.predictive.btyd_features import BTYDFeatures, with_btyd
from features.predictive.inputs import BTYD_INPUT_COLUMNS, PREDICTIVE_FEATURES_V1, model_matrix
from features.predictive.model import CHURN, PROPENSITY
from tests.training.predictive_data import FAST
from training.predictive.compare import cutoffs_for
from training.predictive.rows import FeatureCache, labelled_rows, training_rows
from training.predictive.targets import TARGETS


@pytest.fixture(scope="module")
def as_of(small_synthetic) -> pd.Timestamp:
    return small_synthetic.default_as_of()


@pytest.mark.parametrize("name", [CHURN, PROPENSITY])
def test_stacked_rows_are_each_cutoffs_rows_one_after_another(small_synthetic, as_of, name) -> None:
    target = TARGETS[name]
    cache = FeatureCache(small_synthetic.before(as_of))
    cutoffs = cutoffs_for(cache.past, as_of, target, FAST)
    days = cutoffs.training_label_days
    each = [labelled_rows(cache, target, t, days) for t in cutoffs.training]
    stacked = training_rows(cache, target, cutoffs.training, days)

    whole = pd.concat([p.features for p in each], ignore_index=True)
    columns = PREDICTIVE_FEATURES_V1.resolve(list(whole.columns))
    assert PREDICTIVE_FEATURES_V1.resolve(list(stacked.columns)) == columns
    assert set(stacked.frame.columns) < set(whole.columns)  # the consent flags are not read: not kept
    pd.testing.assert_frame_equal(stacked.frame, whole[list(stacked.frame.columns)], check_exact=True)
    np.testing.assert_array_equal(stacked.y, np.concatenate([p.y for p in each]))
    for rows, part, named in zip(each, stacked.parts(), stacked.by_cutoff(), strict=True):
        assert named.cutoff == rows.cutoff
        assert list(named.labels.index) == list(rows.features[c.CUSTOMER_ID])
        np.testing.assert_array_equal(named.labels.to_numpy(), rows.y)
        assert len(stacked.frame.iloc[part]) == len(rows.y)

    # Each cutoff's BTYD columns from a fit on that cutoff's past, as on the cutoff's whole frame.
    expected = pd.concat(
        [with_btyd(p.features, BTYDFeatures(90, 0.0).fit(p.everyone)) for p in each], ignore_index=True
    )
    got = stacked.with_btyd(90, 0.0)
    pd.testing.assert_frame_equal(got, expected[list(got.columns)], check_exact=True)


def test_the_cache_holds_only_the_cutoffs_asked_for(small_synthetic, as_of) -> None:
    target = TARGETS[PROPENSITY]
    cache = FeatureCache(small_synthetic.before(as_of))
    cutoffs = cutoffs_for(cache.past, as_of, target, FAST)
    kept = cutoffs.training[0]
    cache.hold = {kept}
    rows = training_rows(cache, target, cutoffs.training, cutoffs.training_label_days)
    assert set(cache.engine._features) == {kept}
    assert len(rows.cutoffs) == len(cutoffs.training) > 1
    # What BTYD is fitted on is a copy of its inputs, not a view holding every column.
    assert all(list(h.columns) == list(BTYD_INPUT_COLUMNS) for h in rows.histories)


def test_the_model_matrix_reads_float_columns_without_copying_them() -> None:
    frame = pd.DataFrame(
        {
            "a": [1.5, np.nan, 3.0],
            "b": [True, False, True],
            "k": np.array([1, 2, 3], dtype=np.int64),
            "s": ["x", None, "y"],
            "o": pd.Series(["1", "z", "2"], dtype=object),
        }
    )
    matrix = model_matrix(frame, ["a", "b", "k", "s", "o", "gone"], {"s": ["x", "y"]})
    assert np.shares_memory(matrix["a"].to_numpy(), frame["a"].to_numpy())
    assert matrix["b"].tolist() == [1.0, 0.0, 1.0] and matrix["k"].tolist() == [1.0, 2.0, 3.0]
    assert matrix["s"].cat.codes.tolist() == [0, -1, 1]
    np.testing.assert_array_equal(matrix["o"].to_numpy(), [1.0, np.nan, 2.0])
    assert matrix["gone"].isna().all()
    assert (matrix.dtypes.drop("s") == np.float64).all()
