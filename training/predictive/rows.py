"""Labelled rows at a cutoff (features strictly before it, labels from its window), and the split of the
validation customers into a calibration half and an evaluation half."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.batch_engine import BatchEngine, CutoffRows, DaskEngine, InMemoryEngine
from features.customer_features import names as n
from features.dataset import Dataset
from features.memory import give_back
from features.predictive.btyd_features import BTYDFeatures
from features.predictive.inputs import BTYD_INPUT_COLUMNS, PREDICTIVE_FEATURES_V1
from features.predictive.scorers import RFMRule
from training.predictive.labels import window_outcomes
from training.predictive.targets import TargetSpec


class FeatureCache:
    """Point-in-time features of ``past`` by cutoff, built once per process (``train all`` reuses the
    cutoffs that several targets share). ``past`` is the data set already cut at ``as_of``; ``engine``
    (the command's, on the same data) builds the features when given: every cutoff is before ``as_of``,
    so they are those of ``past``."""

    def __init__(
        self, past: Dataset, engine: BatchEngine | None = None, hold: Iterable[pd.Timestamp] | None = None
    ):
        self.past = past
        self.engine = engine or InMemoryEngine(past)
        self.hold = hold

    @property
    def hold(self) -> set[pd.Timestamp] | None:
        """The cutoffs whose features stay in memory once built (those a later target reads); the others
        are built, read once and let go (a frame of every customer each: ~100 MB at 100,000). None: all."""
        return self._hold

    @hold.setter
    def hold(self, cutoffs: Iterable[pd.Timestamp] | None) -> None:
        self._hold = None if cutoffs is None else {pd.Timestamp(t) for t in cutoffs}

    def at(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        cutoff = pd.Timestamp(cutoff)
        # On Dask the trees are trained where the features lie: the engine holds every cutoff it built.
        keep = self._hold is None or cutoff in self._hold or isinstance(self.engine, DaskEngine)
        features = self.engine.features(cutoff, keep=keep)
        if not keep:  # held for this reader by an earlier one (before the hold changed): the last reader
            self.engine.forget([cutoff])
        return features

    def release(self, cutoffs: Iterable[pd.Timestamp]) -> None:
        """Let go of the features of ``cutoffs``: those of a target that no later target reads (a frame
        of every customer per cutoff, held by the engine until then)."""
        self.engine.forget(cutoffs)


@dataclass(frozen=True)
class LabelledRows:
    cutoff: pd.Timestamp
    label_days: int
    features: pd.DataFrame  # the target's population at the cutoff, fresh index
    y: np.ndarray
    outcomes: pd.DataFrame  # orders, spend, days to next order in the window (same rows)
    everyone: pd.DataFrame  # every customer known at the cutoff, BTYD_INPUT_COLUMNS: what BTYD is fitted on

    def subset(self, mask: np.ndarray) -> LabelledRows:
        return LabelledRows(
            self.cutoff,
            self.label_days,
            self.features[mask].reset_index(drop=True),
            self.y[mask],
            self.outcomes[mask].reset_index(drop=True),
            self.everyone,
        )


def labelled_rows(
    cache: FeatureCache, target: TargetSpec, cutoff: pd.Timestamp, label_days: int
) -> LabelledRows:
    everyone = cache.at(cutoff)
    features = everyone
    if target.buyers_only:
        features = everyone[everyone[n.N_ORDERS] > 0]
    features = features.reset_index(drop=True)
    outcomes = window_outcomes(cache.past.orders, features[c.CUSTOMER_ID], cutoff, label_days)
    # A copy of the few columns BTYD reads, not a view: a view would keep every column of every customer.
    history = everyone[list(BTYD_INPUT_COLUMNS)].copy()
    return LabelledRows(
        pd.Timestamp(cutoff), label_days, features, target.label(outcomes, label_days), outcomes, history
    )


def _read_columns(available: Sequence[str]) -> list[str]:
    """The columns of a features frame that a supervised candidate reads: the customer (to name the rows),
    the predictive feature set (fixed and per-category columns), the RFM rule's and BTYD's inputs."""
    read = {*PREDICTIVE_FEATURES_V1.columns, *BTYD_INPUT_COLUMNS, *RFMRule.drivers}
    prefixes = PREDICTIVE_FEATURES_V1.prefixes
    return [
        col
        for col in available
        if col == c.CUSTOMER_ID or col in read or (prefixes and col.startswith(prefixes))
    ]


@dataclass(frozen=True)
class TrainingRows:
    """The labelled rows of every training cutoff, stacked once (a customer appears once per cutoff),
    with only the columns the candidates read: what RFM, LightGBM and the stacked model are all fitted on.

    At 100,000 customers a cutoff's features are ~100 MB: holding each cutoff's frame, then a stacked
    copy per candidate, then the candidates' matrices took train all to 2.5 GB. Each cutoff's frame is
    let go once its rows are copied here; BTYD keeps per cutoff only its inputs (``histories``)."""

    frame: pd.DataFrame  # fresh index; the rows of ``cutoffs[k]`` are ``parts()[k]``
    y: np.ndarray
    cutoffs: tuple[pd.Timestamp, ...]
    ends: tuple[int, ...]  # where the rows of each cutoff end
    histories: tuple[pd.DataFrame, ...]  # every customer known at each cutoff: what BTYD is fitted on
    columns: tuple[str, ...]  # of the features frames the rows were read from (the feature set resolves)

    def __len__(self) -> int:
        return len(self.y)

    def parts(self) -> list[slice]:
        return [slice(start, end) for start, end in zip((0, *self.ends[:-1]), self.ends, strict=True)]

    def by_cutoff(self) -> list[CutoffRows]:
        """The rows named by cutoff and customer (with their labels), for an engine that trains where the
        features lie."""
        ids = self.frame[c.CUSTOMER_ID]
        return [
            CutoffRows(t, pd.Series(self.y[part], index=ids.iloc[part]))
            for t, part in zip(self.cutoffs, self.parts(), strict=True)
        ]

    def with_btyd(self, horizon: float, penalizer: float) -> pd.DataFrame:
        """The rows with the BTYD columns, each cutoff's from a fit on that cutoff's own past (a fit at a
        later date would leak later purchases into earlier rows). BTYD fails like the fit it is."""
        extra = pd.concat(
            [
                BTYDFeatures(horizon, penalizer).fit(history).transform(self.frame.iloc[part])
                for part, history in zip(self.parts(), self.histories, strict=True)
            ],
            ignore_index=True,
        )
        # The rows' own columns are shared with ``frame``, not copied (only the BTYD columns are new).
        return pd.concat([self.frame, extra], axis=1)


class SpilledRows:
    """The labelled rows of training ``cutoffs`` read one cutoff at a time, each cutoff's written to
    ``folder`` (a pickle: the very frame back) and let go; :meth:`load` stacks them. A features build
    needs ~600 MB more than it returns at 100,000 customers (the split by customer): the rows already
    read wait on disk, not in memory, while the later cutoffs and the validation cutoff are built."""

    def __init__(
        self,
        cache: FeatureCache,
        target: TargetSpec,
        cutoffs: Sequence[pd.Timestamp],
        label_days: int,
        folder: Path,
    ):
        self.cutoffs = tuple(pd.Timestamp(t) for t in cutoffs)
        self.files: list[Path] = []
        self.labels: list[np.ndarray] = []
        self.histories: list[pd.DataFrame] = []
        self.columns: dict[str, None] = {}
        for k, cutoff in enumerate(self.cutoffs):
            rows = labelled_rows(cache, target, cutoff, label_days)
            self.columns.update(dict.fromkeys(rows.features.columns))
            self.files.append(folder / f"rows-{k}.pickle")
            with self.files[-1].open("wb") as out:
                pickle.dump(rows.features[_read_columns(rows.features.columns)], out, protocol=5)
            self.labels.append(rows.y)
            self.histories.append(rows.everyone)
            del rows
            # The cutoff's frame (unless held) and its build's buffers, freed, go back to the system.
            give_back()

    def load(self) -> TrainingRows:
        parts = []
        for path in self.files:
            with path.open("rb") as source:
                parts.append(pickle.load(source))
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        ends = tuple(int(e) for e in np.cumsum([len(p) for p in parts]))
        del parts
        y = np.concatenate(self.labels) if self.labels else np.empty(0)
        return TrainingRows(frame, y, self.cutoffs, ends, tuple(self.histories), tuple(self.columns))


def training_rows(
    cache: FeatureCache, target: TargetSpec, cutoffs: Sequence[pd.Timestamp], label_days: int
) -> TrainingRows:
    """The labelled rows of ``cutoffs``, stacked (their features let go one cutoff at a time)."""
    with tempfile.TemporaryDirectory(prefix="cible-rows-") as folder:
        return SpilledRows(cache, target, cutoffs, label_days, Path(folder)).load()


SPLIT_KEY = "cible-pred-split"  # 16 characters: pandas' hash key


def evaluation_half(customer_ids: pd.Series, seed: int) -> np.ndarray:
    """True for the customers whose validation rows evaluate the candidates, False for those that
    calibrate them. A hash of the id (and the seed), not a draw: the same customer lands in the same half
    in every run, so a challenger and the champion are always compared on the very same people."""
    hashed = pd.util.hash_pandas_object(
        customer_ids.astype(str) + f"#{seed}", index=False, hash_key=SPLIT_KEY
    ).to_numpy()
    return (hashed % np.uint64(2)) == 1
