"""Every candidate of a target on the same validation window: what a training run and the experiments
both call. Nothing here writes anywhere.

The validation customers (their features at the validation cutoff, their labels from the full horizon)
are split by a hash of their id: one half fits each candidate's calibration, the other half judges
every candidate, and the current champion too (:meth:`Comparison.evaluate`). No candidate is trained,
calibrated or selected with a row of the evaluation half other than through the final choice itself.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.memory import give_back
from features.predictive.model import CustomerScoreModel
from features.predictive.scorers import BTYDScorer
from training.predictive.candidates import fit_candidates
from training.predictive.config import PredictiveConfig
from training.predictive.cutoffs import Cutoffs, NotEnoughHistoryError, rolling_origin
from training.predictive.evaluate import is_better, metrics_for
from training.predictive.labels import ORDERS_IN_WINDOW
from training.predictive.rows import (
    FeatureCache,
    LabelledRows,
    SpilledRows,
    evaluation_half,
    labelled_rows,
)
from training.predictive.targets import TargetSpec


@dataclass(frozen=True)
class Evaluated:
    name: str
    model: CustomerScoreModel
    metrics: dict[str, float]
    prediction: np.ndarray  # on the evaluation half, in its row order


@dataclass(frozen=True)
class Comparison:
    target: TargetSpec
    cutoffs: Cutoffs
    evaluation: LabelledRows
    calibration_rows: int
    training_rows: int
    candidates: list[Evaluated]
    skipped: dict[str, str]

    @property
    def best(self) -> Evaluated:
        """The candidate with the best gate metric; on a tie the simpler one (listed first) wins."""
        best = self.candidates[0]
        for candidate in self.candidates[1:]:
            if is_better(
                candidate.metrics[self.target.metric],
                best.metrics[self.target.metric],
                self.target.higher_is_better,
            ):
                best = candidate
        return best

    def evaluate(self, model: CustomerScoreModel) -> tuple[dict[str, float], np.ndarray]:
        """Any model (the champion) scored on exactly the candidates' evaluation rows."""
        prediction = model.predict(self.evaluation.features)
        return _metrics(self.target, self.evaluation, model, prediction), prediction

    def table(self) -> pd.DataFrame:
        """One row per candidate, the metrics as columns (aggregates only)."""
        rows = [{"candidate": e.name, **e.metrics} for e in self.candidates]
        return pd.DataFrame(rows).set_index("candidate")


def _metrics(
    target: TargetSpec, rows: LabelledRows, model: CustomerScoreModel, prediction: np.ndarray
) -> dict[str, float]:
    metrics = metrics_for(target.kind, rows.y, prediction)
    scorer = model.scorer
    if isinstance(scorer, BTYDScorer):
        # The BTYD models also forecast the number of orders: the aggregate holdout check of the papers.
        expected = scorer.btyd_.quantity(rows.features, scorer.model, "expected_orders")
        known = np.isfinite(expected)
        actual = float(rows.outcomes[ORDERS_IN_WINDOW].to_numpy()[known].sum())
        metrics["expected_orders"] = float(expected[known].sum())
        metrics["actual_orders"] = actual
        metrics["orders_aggregate_error"] = (
            metrics["expected_orders"] / actual - 1.0 if actual else float("nan")
        )
    return metrics


def cutoffs_for(
    dataset: Dataset, as_of: pd.Timestamp, target: TargetSpec, config: PredictiveConfig
) -> Cutoffs:
    """The rolling-origin cutoffs of ``target`` as of ``as_of``; raises :class:`NotEnoughHistoryError`
    (before any work is done) when the orders before ``as_of`` do not reach back far enough."""
    times = dataset.orders[c.ORDERED_AT]
    first = times[times < as_of].min()
    if pd.isna(first):
        raise NotEnoughHistoryError("there is no order before --as-of: nothing to learn from")
    return rolling_origin(
        as_of,
        pd.Timestamp(first),
        target.horizon(config),
        config.n_cutoffs,
        config.cutoff_step_days,
        config.min_history_days,
        config.min_label_days,
    )


def compare_candidates(
    dataset: Dataset,
    as_of: pd.Timestamp,
    target: TargetSpec,
    config: PredictiveConfig,
    cache: FeatureCache | None = None,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Fit and judge every candidate of ``target`` as of ``as_of``; ``cache`` must hold
    ``dataset.before(as_of)`` when given (``train all`` shares one between targets)."""
    step = progress or (lambda _name: None)
    cache = cache or FeatureCache(dataset.before(as_of))
    horizon = target.horizon(config)
    cutoffs = cutoffs_for(cache.past, as_of, target, config)
    step("features and labels")
    with tempfile.TemporaryDirectory(prefix="cible-rows-") as folder:
        spilled = SpilledRows(cache, target, cutoffs.training, cutoffs.training_label_days, Path(folder))
        validation = labelled_rows(cache, target, cutoffs.validation, horizon)
        if len(validation.y) < 2:
            raise NotEnoughHistoryError(
                f"only {len(validation.y)} customer(s) to validate on at {cutoffs.validation:%Y-%m-%d}"
            )
        judge = evaluation_half(validation.features[c.CUSTOMER_ID], config.seed)
        # The two halves wait on disk through the fits too (~100 MB at 100,000 customers).
        halves = Path(folder) / "validation.pickle"
        with halves.open("wb") as out:
            pickle.dump((validation.subset(~judge), validation.subset(judge)), out, protocol=5)
        history = validation.everyone
        del validation
        give_back()
        training = spilled.load()
        loaded: list[LabelledRows] = []

        def calibration() -> LabelledRows:
            with halves.open("rb") as source:
                loaded.extend(pickle.load(source))
            return loaded[0]

        fitted, skipped = fit_candidates(
            target, config, horizon, training, history, calibration, step, cache.engine
        )
        training_rows = len(training)
        del training  # the stacked rows are not held through the evaluation
    calibration_rows, evaluation = loaded
    step("evaluating")
    evaluated = []
    for candidate in fitted:
        prediction = candidate.model.predict(evaluation.features)
        metrics = _metrics(target, evaluation, candidate.model, prediction)
        evaluated.append(Evaluated(candidate.name, candidate.model, metrics, prediction))
    return Comparison(
        target=target,
        cutoffs=cutoffs,
        evaluation=evaluation,
        calibration_rows=len(calibration_rows.y),
        training_rows=training_rows,
        candidates=evaluated,
        skipped=skipped,
    )
