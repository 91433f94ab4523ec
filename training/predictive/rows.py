"""Labelled rows at a cutoff (features strictly before it, labels from its window), and the split of the
validation customers into a calibration half and an evaluation half."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import columns as c
from features.batch_engine import BatchEngine, InMemoryEngine
from features.customer_features import names as n
from features.dataset import Dataset
from training.predictive.labels import window_outcomes
from training.predictive.targets import TargetSpec


class FeatureCache:
    """Point-in-time features of ``past`` by cutoff, built once per process (``train all`` reuses the
    cutoffs that several targets share). ``past`` is the data set already cut at ``as_of``; ``engine``
    (the command's, on the same data) builds the features when given: every cutoff is before ``as_of``,
    so they are those of ``past``."""

    def __init__(self, past: Dataset, engine: BatchEngine | None = None):
        self.past = past
        self.engine = engine or InMemoryEngine(past)

    def at(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        return self.engine.features(pd.Timestamp(cutoff))

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
    everyone: pd.DataFrame  # every customer known at the cutoff: what BTYD is fitted on

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
    return LabelledRows(
        pd.Timestamp(cutoff), label_days, features, target.label(outcomes, label_days), outcomes, everyone
    )


def stack_rows(parts: list[LabelledRows]) -> tuple[pd.DataFrame, np.ndarray]:
    """Training rows of several cutoffs as one frame (a customer appears once per cutoff)."""
    frame = pd.concat([p.features for p in parts], ignore_index=True)
    return frame, np.concatenate([p.y for p in parts])


SPLIT_KEY = "cible-pred-split"  # 16 characters: pandas' hash key


def evaluation_half(customer_ids: pd.Series, seed: int) -> np.ndarray:
    """True for the customers whose validation rows evaluate the candidates, False for those that
    calibrate them. A hash of the id (and the seed), not a draw: the same customer lands in the same half
    in every run, so a challenger and the champion are always compared on the very same people."""
    hashed = pd.util.hash_pandas_object(
        customer_ids.astype(str) + f"#{seed}", index=False, hash_key=SPLIT_KEY
    ).to_numpy()
    return (hashed % np.uint64(2)) == 1
