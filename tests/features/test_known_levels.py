"""A level a model never saw is missing at scoring, without pandas' deprecated categorical from values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from features.arrays import known_levels


def test_unseen_and_missing_values_are_missing_and_the_rest_keep_their_codes() -> None:
    levels = ["email", "phone", "sms"]
    values = np.array(["sms", None, "fax", "email", np.nan, "phone"], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation: a future pandas raises there
        coded = known_levels(values, levels)
    assert coded.codes.tolist() == [2, -1, -1, 0, -1, 1]
    assert coded.categories.tolist() == levels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert coded.categories.equals(pd.Categorical(values, categories=levels).categories)
