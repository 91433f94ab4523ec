"""A :class:`~features.predictive.boosted.BoostedScorer` trained with ``lightgbm.dask`` on a cluster's rows.

The training rows of each cutoff are built where that cutoff's features lie (the Dask engine's persisted
customer partitions): each partition keeps the customers labelled at the cutoff, turns them into the
model's matrix (:func:`~features.predictive.inputs.model_matrix`, with levels gathered from every
partition first) and appends the label. Only the labels (one number per customer and cutoff) go from
the client to the workers, and only the levels of the text columns and the fitted trees come back.
LightGBM then trains data-parallel, one LightGBM machine per worker holding rows, the workers talking
over ports they open (``lightgbm.dask`` picks free ones). The result is turned into a plain LightGBM
model (``to_local``): what is registered, explained and served needs no Dask.

Import this module only on the Dask engine: it imports Dask.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import dask
import dask.dataframe as dd
import pandas as pd
from distributed import Client
from lightgbm.dask import DaskLGBMClassifier, DaskLGBMRegressor

from features import columns as c
from features.predictive.boosted import BINARY, BoostedScorer
from features.predictive.inputs import categories_of, model_matrix

LABEL = "__label__"  # no feature is named so: the label rides along with its row's matrix


def fit_on_cluster(
    scorer: BoostedScorer, client: Client, rows: Sequence[tuple[dd.DataFrame, pd.Series]]
) -> BoostedScorer:
    """``scorer`` fitted with ``lightgbm.dask`` on the rows of every (features on the cluster, labels)
    pair, as ``scorer.fit`` fits them in one process; the fitted model is a local one."""
    if scorer.stacked:
        raise ValueError("the stacked model's BTYD columns are computed in the client: fit it there")
    inputs = scorer.input_columns
    labelled = [(features, dask.delayed(labels, pure=True)) for features, labels in rows]
    levels = [
        dask.delayed(_levels)(part, labels, inputs)
        for features, labels in labelled
        for part in features.to_delayed()
    ]
    categories = _merge_levels(client.gather(client.compute(levels)))
    empty = _labelled_part(next(iter(rows))[0]._meta, pd.Series(dtype=float), inputs, categories)
    frame = dd.concat(
        [
            features.map_partitions(_labelled_part, labels, inputs, categories, meta=empty)
            for features, labels in labelled
        ]
    )
    frame = client.persist(frame)  # built once: the matrix and the label are read from the same parts
    sizes = client.compute(frame.map_partitions(len)).result().tolist()
    # A customer partition with no labelled customer would be a LightGBM machine with no data.
    frame = frame.partitions[[i for i, size in enumerate(sizes) if size]]
    model = DaskLGBMClassifier if scorer.objective == BINARY else DaskLGBMRegressor
    estimator = model(client=client, **scorer.settings())
    with client.as_current(), warnings.catch_warnings():  # lightgbm.dask waits with the current client
        # Each machine uses its worker's threads whatever n_jobs says (None here): nothing to warn about.
        warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored", UserWarning)
        estimator.fit(frame[inputs], frame[LABEL])
    return scorer.fitted_elsewhere(categories, estimator.to_local())


def _kept(part: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    return part[part[c.CUSTOMER_ID].isin(labels.index).to_numpy()]


def _levels(part: pd.DataFrame, labels: pd.Series, inputs: list[str]) -> dict[str, list[str]]:
    return categories_of(_kept(part, labels), inputs)


def _merge_levels(pieces: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    """The levels of each text column over all partitions, sorted: ``categories_of`` of the whole."""
    merged: dict[str, set[str]] = {}
    for piece in pieces:
        for col, levels in piece.items():
            merged.setdefault(col, set()).update(levels)
    return {col: sorted(levels) for col, levels in merged.items()}


def _labelled_part(
    part: pd.DataFrame, labels: pd.Series, inputs: list[str], categories: dict[str, list[str]]
) -> pd.DataFrame:
    kept = _kept(part, labels).reset_index(drop=True)
    matrix = model_matrix(kept, inputs, categories)
    matrix[LABEL] = labels.reindex(kept[c.CUSTOMER_ID]).to_numpy(dtype="float64")
    return matrix
