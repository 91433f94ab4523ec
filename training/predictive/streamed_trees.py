"""The predictive trees fitted with LightGBM's Dataset built a span of training rows at a time.

Handed the stacked training rows, LightGBM first copies them into one float matrix (~290 MB at 100,000
customers x 4 training cutoffs) beside the rows themselves, then bins it: the copy set the pipeline's
peak. Read in spans (:func:`training.streamed_fit.fit_streamed`) the rows give LightGBM the same values
in the same order, so the model is the one a fit on the frame gives, its text identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.predictive.boosted import BoostedScorer
from features.predictive.inputs import categories_of, model_array
from training.streamed_fit import BlockRows, fit_streamed


def fit_trees(scorer: BoostedScorer, frame: pd.DataFrame, y: np.ndarray) -> BoostedScorer:
    """``scorer.fit(frame, y)`` without the rows' float matrix."""
    frame = scorer.training_frame(frame)
    inputs = scorer.input_columns
    categories = categories_of(frame, inputs)
    # the text columns as their codes, declared as LightGBM finds them in a frame (in column order)
    text = [col for col in inputs if col in categories]

    def read(start: int, stop: int) -> np.ndarray:
        return model_array(frame.iloc[start:stop], inputs, categories)

    rows = BlockRows(read, np.arange(len(frame)), len(inputs))
    estimator = fit_streamed(
        scorer.unfitted(), rows, np.asarray(y), feature_name=list(inputs), categorical_feature=text
    )
    # the levels a fit on a frame records (and writes in the model's text): scoring a frame, as ``score``
    # and serving do, reads its categorical columns' codes against them
    estimator.booster_.pandas_categorical = [categories[col] for col in text]
    return scorer.fitted_elsewhere(categories, estimator)
