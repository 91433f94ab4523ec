"""The time split of the intent model: labelled visitor rows at weekly cutoffs before ``as_of``."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features import columns as c
from features.batch_engine import BatchEngine, InMemoryEngine
from features.dataset import Dataset
from features.errors import CibleError
from features.intent.batch import intent_frame
from features.intent.names import CUSTOMER_INPUTS, LOOKBACK_DAYS
from features.memory import give_back
from training.intent.config import IntentConfig
from training.intent.labels import LABEL, purchase_labels
from training.intent.stack import stack_rows

CUTOFF = "cutoff"
INTENT_GROUPS = ("orders",)  # beside the profile: what CUSTOMER_INPUTS reads


class NotEnoughIntentHistoryError(CibleError, ValueError):
    """Too few events or purchases before ``as_of`` to train and evaluate the intent model."""


@dataclass(frozen=True)
class IntentCutoffs:
    training: tuple[pd.Timestamp, ...]  # oldest first
    calibration: pd.Timestamp
    validation: pd.Timestamp

    @staticmethod
    def plan(as_of: pd.Timestamp, config: IntentConfig) -> IntentCutoffs:
        horizon = pd.Timedelta(days=config.horizon_days)
        validation = as_of - horizon
        calibration = validation - horizon
        step = pd.Timedelta(days=config.cutoff_step_days)
        # The newest training rows' labels end where the calibration rows start.
        training = tuple(
            calibration - horizon - k * step for k in range(config.n_training_cutoffs - 1, -1, -1)
        )
        return IntentCutoffs(training, calibration, validation)

    def describe(self) -> str:
        return (
            f"trained at {len(self.training)} weekly cutoffs "
            f"{self.training[0]:%Y-%m-%d}..{self.training[-1]:%Y-%m-%d}, "
            f"calibrated at {self.calibration:%Y-%m-%d}, validated at {self.validation:%Y-%m-%d}"
        )


def rows_since(as_of: pd.Timestamp, config: IntentConfig | None = None) -> dict[str, pd.Timestamp]:
    """The oldest rows the pipeline reads when its customer features are built elsewhere: the events of
    the lookback before its oldest cutoff (vectors, a visitor's customer), the orders from that cutoff
    (labels). Intent looks back ten weeks of a data set that may hold years of events."""
    oldest = IntentCutoffs.plan(pd.Timestamp(as_of), config or IntentConfig()).training[0]
    return {"events": oldest - pd.Timedelta(days=LOOKBACK_DAYS), "orders": oldest}


def labelled_rows(
    dataset: Dataset, cutoff: pd.Timestamp, horizon_days: int, engine: BatchEngine | None = None
) -> pd.DataFrame:
    """Visitors active before ``cutoff`` with their intent features and whether they bought after it
    (the customer features they read built on ``engine``, the same data, when given)."""
    frame = intent_frame(dataset, cutoff, _customer_inputs(dataset, cutoff, engine))
    frame[LABEL] = purchase_labels(dataset, frame, cutoff, horizon_days)
    frame[CUTOFF] = cutoff
    # Held through every cutoff and the fit: the ids as Arrow text, not a Python string per row (~0.1 GB
    # of the training rows at 100k customers).
    for column in (c.VISITOR_ID, c.CUSTOMER_ID):
        frame[column] = frame[column].astype("str")
    # The cut's and the features' buffers, freed, go back to the system, not to Arrow's pool or the C
    # heap, which would keep them from the NumPy work of the next cutoffs and of the fit.
    give_back()
    return frame


def _customer_inputs(dataset: Dataset, cutoff: pd.Timestamp, engine: BatchEngine | None) -> pd.DataFrame:
    """Customer features at ``cutoff`` holding those the intent vector reads (the profile and the
    order history, CUSTOMER_INPUTS), from the customers and orders before the cutoff alone: every
    feature group, on a cut of every table, cost ~3 GB at 100k customers in memory, and a split of the
    events into partition files ~130 CPU s from the files, over the 10 cutoffs."""
    features = (engine or InMemoryEngine(dataset)).features(cutoff, keep=False, groups=INTENT_GROUPS)
    # Only what the vectors read is held through the cutoff's matrix of visitors (the intent peak).
    return features[[c.CUSTOMER_ID, *CUSTOMER_INPUTS]]


def _check(frame: pd.DataFrame, role: str) -> None:
    if len(frame) == 0 or frame[LABEL].nunique() < 2:
        buyers = int(frame[LABEL].sum()) if len(frame) else 0
        raise NotEnoughIntentHistoryError(
            f"{role}: {len(frame):,} active visitors and {buyers:,} buyers — need both buyers and non-buyers "
            "(are there events in the weeks before --as-of?)"
        )


@dataclass(frozen=True)
class IntentRows:
    cutoffs: IntentCutoffs
    training: pd.DataFrame
    calibration: pd.DataFrame
    validation: pd.DataFrame

    @staticmethod
    def build(
        dataset: Dataset, as_of: pd.Timestamp, config: IntentConfig, engine: BatchEngine | None = None
    ) -> IntentRows:
        cutoffs = IntentCutoffs.plan(as_of, config)
        h = config.horizon_days
        training = stack_rows([labelled_rows(dataset, t, h, engine) for t in cutoffs.training])
        calibration = labelled_rows(dataset, cutoffs.calibration, h, engine)
        validation = labelled_rows(dataset, cutoffs.validation, h, engine)
        _check(training, "training cutoffs")
        _check(calibration, f"calibration cutoff {cutoffs.calibration:%Y-%m-%d}")
        _check(validation, f"validation cutoff {cutoffs.validation:%Y-%m-%d}")
        return IntentRows(cutoffs, training, calibration, validation)
