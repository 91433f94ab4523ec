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

import pandas as pd
from sklearn.base import BaseEstimator

from features.batch_engine import BatchEngine, DaskEngine
from features.memory import give_back
from features.predictive.blend import BlendScorer
from features.predictive.boosted import BINARY, BoostedScorer
from features.predictive.btyd_features import BTYDFeatures
from features.predictive.inputs import PREDICTIVE_FEATURES_V1
from features.predictive.model import CHURN, NEXT_ORDER, PROPENSITY, VALUE, CustomerScoreModel
from features.predictive.scorers import BTYDScorer, LastYearSpendRule, RecencyRule, RFMRule, RhythmRule
from training.predictive.config import PredictiveConfig
from training.predictive.rows import LabelledRows, TrainingRows
from training.predictive.streamed_trees import fit_trees
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
    training: TrainingRows,
    history: pd.DataFrame,
    at_validation: Callable[[], BTYDFeatures],
    engine: BatchEngine,
) -> BaseEstimator:
    if how == NOTHING:
        return scorer.fit(history)  # type: ignore[union-attr]  # a rule: fitting reads nothing
    if how == HISTORY:
        return scorer.set_params(btyd=at_validation()).fit(history)  # type: ignore[union-attr]
    if not training.cutoffs:
        raise ValueError("no training cutoff: the history before the validation window is too short")
    # Every supervised candidate reads the same stacked rows (no copy of its own); the feature set
    # resolves against the columns of the features they were read from.
    columns = PREDICTIVE_FEATURES_V1.resolve(list(training.columns))
    if name == STACKED:
        frame = training.with_btyd(horizon, config.btyd_penalizer)
        return fit_trees(_boosted(target, config, columns, at_validation()), frame, training.y)
    if name == RFM:
        return scorer.fit(training.frame, training.y)  # type: ignore[union-attr]
    scorer = _boosted(target, config, columns, None)
    if isinstance(engine, DaskEngine):
        # Where the features lie: on a Dask cluster the engine trains there, on the same rows.
        return engine.fit_boosted(scorer, training.frame, training.y, training.by_cutoff())
    return fit_trees(scorer, training.frame, training.y)


def fit_candidates(
    target: TargetSpec,
    config: PredictiveConfig,
    horizon: int,
    training: TrainingRows,
    history: pd.DataFrame,
    calibration: Callable[[], LabelledRows],
    progress: Callable[[str], None] | None = None,
    engine: BatchEngine | None = None,
) -> tuple[list[Fitted], dict[str, str]]:
    """Every candidate that can be fitted on these rows, and why the others could not; ``history`` is
    every customer known at the validation cutoff (BTYD_INPUT_COLUMNS); the LightGBM candidate is fitted
    by ``engine`` (in this process by default).

    Every scorer is fitted first, then each is calibrated on the rows ``calibration`` gives, asked for
    only then: the caller can keep them out of memory through the fits (at 100,000 customers a LightGBM
    fit needs twice its ~300 MB matrix and LightGBM's sample of it besides)."""
    trees = engine or BatchEngine()
    scorers: list[tuple[str, BaseEstimator]] = []
    skipped: dict[str, str] = {}
    shared: list[BTYDFeatures] = []

    def at_validation() -> BTYDFeatures:
        """BG/NBD, MBG/NBD and Gamma-Gamma on the histories at the validation cutoff, fitted once for the
        two BTYD candidates and the stacked model."""
        if not shared:
            shared.append(BTYDFeatures(horizon, config.btyd_penalizer).fit(history))
        return shared[0]

    candidates = plan(target, config, horizon)
    for name, how, scorer in candidates:
        if how == MEMBERS:
            continue  # fitted on calibrated members, below
        if progress is not None:
            progress(f"fitting {name}")
        try:
            trained = _fit_scorer(
                name, how, scorer, target, config, horizon, training, history, at_validation, trees
            )
        except (ValueError, FloatingPointError) as exc:  # e.g. too few buyers for BTYD or RFM quintiles
            skipped[name] = str(exc)
            continue
        scorers.append((name, trained))
        give_back()  # a fit's matrices, freed: the next fit starts from what is held, not from this peak
    rows = calibration()
    fitted = [Fitted(name, _model(target, config, horizon, name, trained, rows)) for name, trained in scorers]
    for name, how, _ in candidates:
        if how != MEMBERS:
            continue
        if progress is not None:
            progress(f"fitting {name}")
        done = {f.name: f.model for f in fitted}
        missing = [m for m in BLEND_MEMBERS if m not in done]
        if missing:
            skipped[name] = f"the blend needs {' and '.join(missing)}, which could not be fitted"
            continue
        try:
            trained = BlendScorer([done[m] for m in BLEND_MEMBERS]).fit(rows.features)
        except (ValueError, FloatingPointError) as exc:
            skipped[name] = str(exc)
            continue
        fitted.append(Fitted(name, _model(target, config, horizon, name, trained, rows)))
    return fitted, skipped


def _model(
    target: TargetSpec,
    config: PredictiveConfig,
    horizon: int,
    name: str,
    scorer: BaseEstimator,
    calibration: LabelledRows,
) -> CustomerScoreModel:
    model = CustomerScoreModel(
        target=target.name,
        candidate=name,
        scorer=scorer,
        calibration=config.calibration if target.kind == BINARY else "linear",
        horizon_days=horizon,
        feature_set=STACKED_FEATURE_SET if name == STACKED else PREDICTIVE_FEATURES_V1.key,
        buyers_only=target.buyers_only,
        bounds=target.bounds(horizon),
    )
    return model.fit(calibration.features, calibration.y)
