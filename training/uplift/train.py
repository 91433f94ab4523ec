"""Train, compare, gate and register ``uplift``: who orders *because of* a campaign (``cible train uplift``).

Rows: every assignment of a campaign with a control group, assigned in the ``lookback_days`` before
``as_of`` and whose window closed before it; y = an order in the campaign's window
(``features.campaigns.results.window_outcomes``, the same outcome the results measure), w = treated;
features = the customer's features at the first of the month of the assignment (point in time), with the
offer family and the channel. Customers are split by a salted hash (``holdout_share`` held out, the same
customers in every run), so every model is scored on customers none of them was fitted on.

Compared on the held-out customers by the Qini coefficient and uplift@30% (training.uplift.metrics,
random targeting = 0): the two-model T-learner, the transformed-outcome learner (class transformation for
an unequal split), the X-learner and the *response model* — P(order | contacted), the T-learner's
treated classifier, which is how a response model ranks. The best learner is the candidate; the gate asks
it to beat the response model's Qini and the champion's (scored on the same held-out rows).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from features import columns as c
from features.arrays import known_levels
from features.batch_engine import BatchEngine
from features.campaigns.results import CONVERTED
from features.campaigns.uplift_model import LEARNERS, T_LEARNER, TRANSFORMED_OUTCOME, X_LEARNER, UpliftModel
from features.dataset import Dataset
from features.settings import Settings
from training.boosting import bagged_classifier
from training.registry import CHAMPION, GateDecision, champion_version, decide, log_and_register
from training.stored_rows import StoredRows
from training.streamed_fit import BlockRows, fit_streamed
from training.tracking import connect, training_run
from training.uplift.config import UpliftConfig
from training.uplift.metrics import qini_coefficient, uplift_at
from training.uplift.rows import (
    TREATED,
    NoControlGroupsError,
    feature_columns,
    split_rows,
    stored_uplift_rows,
)

__all__ = ["CONVERTED", "TREATED", "NoControlGroupsError", "UpliftConfig", "split_rows"]

MODEL_NAME = "uplift"
EXPERIMENT = "uplift"
QINI = "qini"
RESPONSE = "response_model"


@dataclass(frozen=True)
class UpliftEvaluation:
    qini: dict[str, float]  # learner or "response_model" -> Qini coefficient on held-out customers
    uplift_at_30: dict[str, float]
    rows: int
    held_out_rows: int
    treated_share: float
    observed_effect: float  # treated minus control conversion over the held-out rows


@dataclass(frozen=True)
class UpliftRun:
    run_id: str
    version: str
    learner: str
    decision: GateDecision
    evaluation: UpliftEvaluation
    champion_qini: float | None


def _classifier(config: UpliftConfig) -> lgb.LGBMClassifier:
    return bagged_classifier(config)


def fit_uplift(
    rows: pd.DataFrame | StoredRows,
    learner: str,
    config: UpliftConfig,
    trained_until: pd.Timestamp | None = None,
) -> UpliftModel:
    return fit_learners(rows, (learner,), config, trained_until)[learner]


def fit_learners(
    rows: pd.DataFrame | StoredRows,
    learners: Sequence[str],
    config: UpliftConfig,
    trained_until: pd.Timestamp | None = None,
) -> dict[str, UpliftModel]:
    """Each of ``learners`` fitted on ``rows``. The X-learner's two classifiers are the T-learner's (same
    rows, same settings, same seed: the same fit), so they are fitted once for both.

    Each model's LightGBM Dataset is built from the rows it is fitted on, a span at a time
    (:func:`training.streamed_fit.fit_streamed`): no model input is ever held whole (at 100k customers
    the treated rows' floats alone are over a GB); the predictions the X-learner imputes from are made a
    span at a time too."""
    unknown = [learner for learner in learners if learner not in LEARNERS]
    if unknown:
        raise ValueError(f"unknown learner {unknown[0]!r}; use one of {', '.join(LEARNERS)}")
    rows = rows if isinstance(rows, StoredRows) else StoredRows.of(rows, feature_columns(rows))
    keys, columns = rows.keys, rows.names
    categories = {key: sorted(keys[key].unique().tolist()) for key in (c.OFFER_ID, c.CHANNEL)}
    names = [*columns, c.OFFER_ID, c.CHANNEL]
    named = {"feature_name": names, "categorical_feature": [c.OFFER_ID, c.CHANNEL]}
    y = keys[CONVERTED].to_numpy(dtype=int)
    w = keys[TREATED].to_numpy(dtype=bool)
    share = float(w.mean())
    effect = float(y[w].mean() - y[~w].mean())
    incremental = min(max(effect / y[w].mean(), 0.0), 1.0) if y[w].mean() > 0 else 0.0
    params = _classifier(config).get_params()
    treated, control = np.flatnonzero(w), np.flatnonzero(~w)
    codes = _codes(keys, categories)

    def read(start: int, stop: int) -> np.ndarray:
        """``design_matrix`` of rows [start, stop) as the array LightGBM reads: float64, offer and channel
        as their codes in ``categories`` (as LightGBM codes a frame's categoricals: the same models)."""
        out = np.empty((stop - start, len(names)))
        out[:, : len(columns)] = rows.values(start, stop)
        out[:, len(columns) :] = codes[start:stop]
        return out

    def x(at: np.ndarray | None = None) -> BlockRows:
        return BlockRows(read, np.arange(len(keys)) if at is None else at, len(names))

    fitted: dict[str, dict[str, Any]] = {}
    if T_LEARNER in learners or X_LEARNER in learners:
        pair = {
            "treated": fit_streamed(_classifier(config), x(treated), y[w], **named),
            "control": fit_streamed(_classifier(config), x(control), y[~w], **named),
        }
        fitted[T_LEARNER] = dict(pair)
        if X_LEARNER in learners:
            models: dict[str, Any] = dict(pair)
            imputed_c = _probability(pair["treated"], x(control)) - y[~w]
            models["effect_control"] = fit_streamed(
                lgb.LGBMRegressor(**params), x(control), imputed_c, **named
            )
            imputed_t = y[w] - _probability(pair["control"], x(treated))
            models["effect_treated"] = fit_streamed(
                lgb.LGBMRegressor(**params), x(treated), imputed_t, **named
            )
            fitted[X_LEARNER] = models
    if TRANSFORMED_OUTCOME in learners:
        z = y * w / share - y * (~w) / (1 - share)
        fitted[TRANSFORMED_OUTCOME] = {
            "transformed": fit_streamed(lgb.LGBMRegressor(**params), x(), z, **named)
        }
    return {
        learner: UpliftModel(
            learner, fitted[learner], columns, categories, share, trained_until, asdict(config), incremental
        )
        for learner in learners
    }


def _codes(keys: pd.DataFrame, categories: dict[str, list[str]]) -> np.ndarray:
    """Offer and channel of every row as their codes in ``categories``, NaN when not in them."""
    out = np.empty((len(keys), 2))
    for j, key in enumerate((c.OFFER_ID, c.CHANNEL)):
        codes = known_levels(keys[key].to_numpy(dtype=object), categories[key]).codes
        out[:, j] = np.where(codes < 0, np.nan, codes)
    return out


def _probability(classifier: lgb.LGBMClassifier, x: BlockRows) -> np.ndarray:
    """``predict_proba(x)[:, 1]``, a span of rows at a time: the booster's own (scikit-learn's check of an
    array against the feature names it was fitted with only warns)."""
    return np.concatenate([np.asarray(classifier.booster_.predict(block)) for block in x.blocks()])


def _by_span(
    rows: StoredRows, predict: Callable[[pd.DataFrame, np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """``predict(features, offers, channels)`` of ``rows``, a span at a time (a model's input is a frame
    of every feature of its rows: all the held-out rows' would be ~0.4 GB at 100k customers)."""
    offers = rows.keys[c.OFFER_ID].to_numpy(dtype=object)
    channels = rows.keys[c.CHANNEL].to_numpy(dtype=object)
    parts = [
        predict(pd.DataFrame(rows.values(lo, hi), columns=list(rows.names)), offers[lo:hi], channels[lo:hi])
        for lo, hi in rows.spans()
    ]
    return np.concatenate(parts) if parts else np.empty(0)


def score(model: UpliftModel, rows: pd.DataFrame | StoredRows) -> tuple[float, float]:
    """(Qini coefficient, uplift@30%) of ``model``'s uplift on ``rows``."""
    rows = rows if isinstance(rows, StoredRows) else StoredRows.of(rows, feature_columns(rows))
    u = _by_span(rows, model.uplift)
    y, w = rows.keys[CONVERTED].to_numpy(int), rows.keys[TREATED].to_numpy(bool)
    return qini_coefficient(u, y, w), uplift_at(u, y, w, 0.3)


def evaluate(
    train: pd.DataFrame | StoredRows, test: pd.DataFrame | StoredRows, config: UpliftConfig
) -> tuple[dict[str, UpliftModel], UpliftEvaluation]:
    test = test if isinstance(test, StoredRows) else StoredRows.of(test, feature_columns(test))
    models = fit_learners(train, LEARNERS, config)
    qini, at30 = {}, {}
    for learner, model in models.items():
        qini[learner], at30[learner] = score(model, test)
    response = _by_span(test, models[T_LEARNER].response)
    y, w = test.keys[CONVERTED].to_numpy(int), test.keys[TREATED].to_numpy(bool)
    qini[RESPONSE], at30[RESPONSE] = qini_coefficient(response, y, w), uplift_at(response, y, w, 0.3)
    observed = float(y[w].mean() - y[~w].mean())
    return models, UpliftEvaluation(qini, at30, len(train) + len(test), len(test), float(w.mean()), observed)


def load_uplift_champion(client: MlflowClient) -> UpliftModel | None:
    if champion_version(client, MODEL_NAME) is None:
        return None
    return mlflow.sklearn.load_model(f"models:/{MODEL_NAME}@{CHAMPION}")


def train_uplift(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config: UpliftConfig | None = None,
    progress: Callable[[str], None] | None = None,
    engine: BatchEngine | None = None,
    owns_data: bool = False,
) -> UpliftRun:
    """``owns_data``: nothing else reads ``dataset`` (``train all`` loads each pipeline's own), so the
    tables it reads are released once the rows' outcomes are known, when ``engine`` builds the features
    from the files (at 100k customers ~0.6 GB of assignments and orders held through the months' builds
    and the fits)."""
    config = config or UpliftConfig()
    # The rows' features stay in a file for the run, read a span at a time (see training.uplift.rows).
    with tempfile.TemporaryDirectory(prefix=".cible-uplift-") as work:
        return _train_uplift(dataset, as_of, settings, config, Path(work), progress, engine, owns_data)


def _train_uplift(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config: UpliftConfig,
    work: Path,
    progress: Callable[[str], None] | None,
    engine: BatchEngine | None,
    owns_data: bool,
) -> UpliftRun:
    rows = stored_uplift_rows(dataset, as_of, config, work, progress, engine, owns_data)
    if rows is None:
        raise NoControlGroupsError("no campaign with a control group in the data: no uplift model")
    train, test = split_rows(rows, config)
    del rows
    models, evaluation = evaluate(train, test, config)
    learner = max(LEARNERS, key=lambda name: evaluation.qini[name])
    candidate = models[learner]
    candidate.trained_until = as_of
    client = connect(settings)
    champion = load_uplift_champion(client)
    champion_qini = score(champion, test)[0] if champion is not None else None
    qini = evaluation.qini[learner]
    if qini <= evaluation.qini[RESPONSE]:
        reason = (
            f"candidate {QINI}={qini:.5f} does not beat the response model ({evaluation.qini[RESPONSE]:.5f})"
        )
        decision = GateDecision(False, reason, QINI, qini, champion_qini)
    else:
        decision = decide(QINI, qini, champion_qini, margin=0.0)
    with training_run(settings, EXPERIMENT, f"uplift {as_of:%Y-%m-%d}", dataset):
        mlflow.log_params({**asdict(config), "as_of": str(as_of), "learner": learner})
        metrics = {f"{QINI}.{name}": v for name, v in evaluation.qini.items()}
        metrics |= {f"uplift_at_30.{name}": v for name, v in evaluation.uplift_at_30.items()}
        metrics |= {
            QINI: qini,
            "rows": float(evaluation.rows),
            "held_out_rows": float(evaluation.held_out_rows),
            "held_out_observed_effect": evaluation.observed_effect,
        }
        if champion_qini is not None:
            metrics[f"champion.{QINI}"] = champion_qini
        mlflow.log_metrics(metrics)
        version = log_and_register(client, candidate, MODEL_NAME, decision)
        mlflow.set_tags(decision.as_tags())
        run_id = mlflow.active_run().info.run_id  # type: ignore[union-attr]
    return UpliftRun(run_id, str(version.version), learner, decision, evaluation, champion_qini)
