"""The candidates of every run, fitted without seeing the rows they are judged on.

- rules a marketer would use: ``recency`` (churn, propensity), ``last_year_spend`` (value), ``rhythm``
  (next order), and ``rfm`` (the outcome rate of each RFM code in the training rows);
- ``bgnbd`` and ``mbgnbd``: fitted on the order histories at the validation cutoff (no label read);
- ``lightgbm`` on the point-in-time features of the training cutoffs;
- ``stacked``: LightGBM with the BTYD predictions as extra features (BTYD refitted at each training
  cutoff on the history before it, so no training row sees a later purchase);
- ``blend``: the mean of the calibrated MBG/NBD and LightGBM outputs, calibrated again.

Each is wrapped in a :class:`~features.predictive.model.CustomerScoreModel` whose calibration is fitted
on the calibration half of the validation customers; the evaluation half is left for the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from features import columns as c
from features.batch_engine import BatchEngine, CutoffRows
from features.predictive.blend import BlendScorer
from features.predictive.boosted import BINARY, BoostedScorer
from features.predictive.btyd_features import BTYDFeatures, with_btyd
from features.predictive.inputs import PREDICTIVE_FEATURES_V1
from features.predictive.model import CHURN, NEXT_ORDER, PROPENSITY, VALUE, CustomerScoreModel
from features.predictive.scorers import BTYDScorer, LastYearSpendRule, RecencyRule, RFMRule, RhythmRule
from training.predictive.config import PredictiveConfig
from training.predictive.rows import LabelledRows, stack_rows
from training.predictive.targets import TargetSpec

RECENCY, RFM, LAST_YEAR_SPEND, RHYTHM = "recency", "rfm", "last_year_spend", "rhythm"
BGNBD, MBGNBD, LIGHTGBM, STACKED, BLEND = "bgnbd", "mbgnbd", "lightgbm", "stacked", "blend"
TREE_CANDIDATES: tuple[str, ...] = (STACKED, LIGHTGBM)
BLEND_MEMBERS: tuple[str, ...] = (MBGNBD, LIGHTGBM)  # the parametric model and the trees, each calibrated
STACKED_FEATURE_SET = f"{PREDICTIVE_FEATURES_V1.key}+btyd"
# How a candidate learns: from nothing, from the order histories at the validation cutoff, from the
# labelled rows of the training cutoffs, or from other candidates (a blend of fitted models).
NOTHING, HISTORY, LABELS, MEMBERS = "nothing", "history", "labels", "members"
BTYD_QUANTITY = {
    CHURN: "expected_orders",
    PROPENSITY: "expected_orders",
    VALUE: "expected_value",
    NEXT_ORDER: "expected_wait",
}


@dataclass(frozen=True)
class Fitted:
    name: str
    model: CustomerScoreModel


def _rule(target: TargetSpec, horizon: int) -> tuple[str, BaseEstimator]:
    if target.name == VALUE:
        return LAST_YEAR_SPEND, LastYearSpendRule(horizon)
    if target.name == NEXT_ORDER:
        return RHYTHM, RhythmRule(horizon)
    return RECENCY, RecencyRule(sign=1 if target.name == CHURN else -1)


def plan(target: TargetSpec, config: PredictiveConfig, horizon: int) -> list[tuple[str, str, BaseEstimator]]:
    """(name, how it learns, unfitted scorer) of every candidate, simplest first (a tie goes to it)."""
    rule_name, rule = _rule(target, horizon)
    btyd = {
        "quantity": BTYD_QUANTITY[target.name],
        "horizon_days": horizon,
        "sign": -1 if target.name == CHURN else 1,
        "penalizer": config.btyd_penalizer,
    }
    return [
        (rule_name, NOTHING, rule),
        (RFM, LABELS, RFMRule(config.rfm_prior_weight)),
        (BGNBD, HISTORY, BTYDScorer(model="bgnbd", **btyd)),
        (MBGNBD, HISTORY, BTYDScorer(model="mbgnbd", **btyd)),
        (LIGHTGBM, LABELS, None),
        (STACKED, LABELS, None),
        (BLEND, MEMBERS, None),
    ]


def _boosted(
    target: TargetSpec, config: PredictiveConfig, columns: list[str], btyd: BTYDFeatures | None
) -> BoostedScorer:
    return BoostedScorer(
        objective=BINARY if target.kind == BINARY else "regression",
        columns=columns,
        params=config.lightgbm_params,
        btyd=btyd,
        monotone=target.monotone,
        seed=config.seed,
        n_jobs=config.n_jobs,
    )


def _fit_scorer(
    name: str,
    how: str,
    scorer: BaseEstimator | None,
    target: TargetSpec,
    config: PredictiveConfig,
    horizon: int,
    training: list[LabelledRows],
    validation: LabelledRows,
    at_validation: Callable[[], BTYDFeatures],
    engine: BatchEngine,
) -> BaseEstimator:
    if how == NOTHING:
        return scorer.fit(validation.features)  # type: ignore[union-attr]
    if how == HISTORY:
        return scorer.set_params(btyd=at_validation()).fit(validation.everyone)  # type: ignore[union-attr]
    if not training:
        raise ValueError("no training cutoff: the history before the validation window is too short")
    if name == STACKED:
        # Each training cutoff's BTYD columns come from a fit on that cutoff's own past. The rows are
        # stacked once, with them: the stacked frame without them is not made (hundreds of MB at 100k
        # customers); its columns are those of the stacked rows' empty frames.
        stacked = pd.concat([p.features.iloc[:0] for p in training], ignore_index=True).columns
        columns = PREDICTIVE_FEATURES_V1.resolve(list(stacked))
        frame = pd.concat(
            [
                with_btyd(p.features, BTYDFeatures(horizon, config.btyd_penalizer).fit(p.everyone))
                for p in training
            ],
            ignore_index=True,
        )
        y = np.concatenate([p.y for p in training])
        return _boosted(target, config, columns, at_validation()).fit(frame, y)
    frame, y = stack_rows(training)
    if name == RFM:
        return scorer.fit(frame, y)  # type: ignore[union-attr]
    columns = PREDICTIVE_FEATURES_V1.resolve(list(frame.columns))
    # Where the features lie: on a Dask cluster the engine trains there, on the same rows.
    rows = [CutoffRows(p.cutoff, pd.Series(p.y, index=p.features[c.CUSTOMER_ID])) for p in training]
    return engine.fit_boosted(_boosted(target, config, columns, None), frame, y, rows)


def fit_candidates(
    target: TargetSpec,
    config: PredictiveConfig,
    horizon: int,
    training: list[LabelledRows],
    validation: LabelledRows,
    calibration: LabelledRows,
    progress: Callable[[str], None] | None = None,
    engine: BatchEngine | None = None,
) -> tuple[list[Fitted], dict[str, str]]:
    """Every candidate that can be fitted on these rows, and why the others could not; the LightGBM
    candidate is fitted by ``engine`` (in this process by default)."""
    trees = engine or BatchEngine()
    fitted: list[Fitted] = []
    skipped: dict[str, str] = {}
    shared: list[BTYDFeatures] = []

    def at_validation() -> BTYDFeatures:
        """BG/NBD, MBG/NBD and Gamma-Gamma on the histories at the validation cutoff, fitted once for the
        two BTYD candidates and the stacked model."""
        if not shared:
            shared.append(BTYDFeatures(horizon, config.btyd_penalizer).fit(validation.everyone))
        return shared[0]

    for name, how, scorer in plan(target, config, horizon):
        if progress is not None:
            progress(f"fitting {name}")
        try:
            if how == MEMBERS:
                done = {f.name: f.model for f in fitted}
                missing = [m for m in BLEND_MEMBERS if m not in done]
                if missing:
                    raise ValueError(f"the blend needs {' and '.join(missing)}, which could not be fitted")
                trained = BlendScorer([done[m] for m in BLEND_MEMBERS]).fit(calibration.features)
            else:
                trained = _fit_scorer(
                    name, how, scorer, target, config, horizon, training, validation, at_validation, trees
                )
        except (ValueError, FloatingPointError) as exc:  # e.g. too few buyers for BTYD or RFM quintiles
            skipped[name] = str(exc)
            continue
        model = CustomerScoreModel(
            target=target.name,
            candidate=name,
            scorer=trained,
            calibration=config.calibration if target.kind == BINARY else "linear",
            horizon_days=horizon,
            feature_set=STACKED_FEATURE_SET if name == STACKED else PREDICTIVE_FEATURES_V1.key,
            buyers_only=target.buyers_only,
            bounds=target.bounds(horizon),
        )
        fitted.append(Fitted(name, model.fit(calibration.features, calibration.y)))
    return fitted, skipped
