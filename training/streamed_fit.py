"""LightGBM scikit-learn models fitted on rows read a block at a time, never all in memory at once.

At 100k customers the uplift rows' float features are over a GB: the whole matrix next to the data set
does not fit the 1.5 GB of ``train all``. LightGBM builds its (binned, far smaller) Dataset from a
:class:`lightgbm.Sequence` the way it builds it from a matrix: the same sampled rows for the bins, the
same rows pushed in the same order, so the fitted model is the same: given the same parameters.
From a matrix LightGBM builds with every parameter of the fit; from a Sequence, with only those it lists
as the Dataset's own, which leave out ``seed`` (the rows sampled for the bins) and ``min_data_in_leaf``
(the features too sparse to split, filtered out): :class:`_EveryParameter` hands it every one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import lightgbm as lgb
import lightgbm.sklearn as lgb_sklearn
import numpy as np

from features.memory import give_back

Model = TypeVar("Model", bound=lgb.LGBMModel)
BLOCK_ROWS = 32_768  # rows read at once: ~30 MB of 110 float64 features


class BlockRows(lgb.Sequence):
    """The rows at ``at`` (ascending positions) of the rows that ``read(start, stop)`` returns as a float64
    array, ``width`` columns. Reads spans of at most ``BLOCK_ROWS`` positions; a single row (LightGBM's
    sample for the bins) comes from the span last read, as the sample is taken in increasing order."""

    batch_size = BLOCK_ROWS

    def __init__(self, read: Callable[[int, int], np.ndarray], at: np.ndarray, width: int) -> None:
        self.read, self.at, self.width = read, np.asarray(at, dtype=np.int64), width
        self._span: tuple[int, np.ndarray] = (0, np.empty((0, width)))

    def __len__(self) -> int:
        return len(self.at)

    def __getitem__(self, idx: int | slice) -> np.ndarray:  # type: ignore[override]
        if isinstance(idx, slice):
            return self.rows(self.at[idx])
        position = int(self.at[idx])
        start, block = self._span
        if not start <= position < start + len(block):
            stop = min(position + BLOCK_ROWS, int(self.at[-1]) + 1)
            self._span = start, block = position, self.read(position, stop)
        return block[position - start]

    def rows(self, positions: np.ndarray) -> np.ndarray:
        """The rows at ``positions`` (ascending), read in spans of at most ``BLOCK_ROWS``."""
        out = np.empty((len(positions), self.width))
        i = 0
        while i < len(positions):
            start = int(positions[i])
            j = int(np.searchsorted(positions, start + BLOCK_ROWS, side="left"))
            block = self.read(start, int(positions[j - 1]) + 1)
            out[i:j] = block[positions[i:j] - start]
            i = j
        return out

    def blocks(self) -> Any:
        """The rows, ``BLOCK_ROWS`` at a time (for predictions)."""
        for start in range(0, len(self), BLOCK_ROWS):
            yield self[start : start + BLOCK_ROWS]


def fit_streamed(model: Model, rows: BlockRows, y: np.ndarray, **fit_args: Any) -> Model:
    """``model.fit(x, y, **fit_args)`` for the ``x`` that ``rows`` holds, without building ``x``.

    The scikit-learn wrapper only hands its ``X`` to ``lightgbm.Dataset`` (after checking its shape): it
    is given a matrix of the right shape that takes no memory, and its Dataset is made from ``rows``
    instead. Everything else (labels, objective, classes, feature names) is the wrapper's own fit."""
    shape_only = np.broadcast_to(np.float64(0.0), (len(rows), rows.width))  # zero strides: no memory
    dataset = lgb_sklearn.Dataset

    def from_rows(data: Any, *args: Any, **kwargs: Any) -> lgb.Dataset:
        return _EveryParameter(rows, *args, **kwargs)

    lgb_sklearn.Dataset = from_rows  # type: ignore[assignment,misc]
    try:
        return model.fit(shape_only, y, **fit_args)
    finally:
        lgb_sklearn.Dataset = dataset  # type: ignore[misc]
        give_back()  # the freed Dataset and sample: the next fit or prediction starts from what is held


class _EveryParameter(lgb.Dataset):
    """A Dataset built from a Sequence with every parameter of the fit, as one built from a matrix is."""

    def get_params(self) -> dict[str, Any]:
        return dict(self.params or {})
