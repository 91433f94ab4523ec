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
from features import vocab
from features.batch_engine import BatchEngine, InMemoryEngine
from features.campaigns.results import CONVERTED, window_outcomes
from features.campaigns.uplift_model import LEARNERS, T_LEARNER, TRANSFORMED_OUTCOME, X_LEARNER, UpliftModel
from features.campaigns.windows import windows_days
from features.dataset import Dataset
from features.errors import CibleError
from features.offers.response_model import catalogue_offer
from features.segments.export import in_control_group
from features.settings import Settings
from training.boosting import bagged_classifier
from training.registry import CHAMPION, GateDecision, champion_version, decide, log_and_register
from training.tracking import connect, training_run
from training.uplift.metrics import qini_coefficient, uplift_at

MODEL_NAME = "uplift"
EXPERIMENT = "uplift"
QINI = "qini"
RESPONSE = "response_model"
TREATED = "treated"
HOLDOUT_SALT = "uplift-holdout"
MIN_CONTROL_CONVERSIONS = 20


class NoControlGroupsError(CibleError):
    """Too few assignments with a control group to learn or check an uplift model."""


@dataclass(frozen=True)
class UpliftConfig:
    lookback_days: int = 240
    holdout_share: float = 0.3
    n_estimators: int = 150
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_child_samples: int = 100
    n_jobs: int = 1  # two OpenMP threads on a busy 2-core machine are slower than one
    seed: int = 7


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


def uplift_rows(
    dataset: Dataset,
    as_of: pd.Timestamp,
    config: UpliftConfig,
    progress: Callable[[str], None] | None = None,
    engine: BatchEngine | None = None,
    held_out_last: bool = False,
) -> pd.DataFrame:
    """Assignments with their outcome, treatment and point-in-time features (see the module docstring;
    built on ``engine``, the same data, when given: every month starts before ``as_of``). Rows are in the
    order of the months, or with ``held_out_last`` the held-out customers' rows after the others (each in
    that order), so that :func:`split_rows` takes both parts without copying them."""
    known = dataset.before(as_of)
    a = known.assignments
    ends = a[c.ASSIGNED_AT] + pd.to_timedelta(windows_days(a[c.CHANNEL]), unit="D")
    a = a[(a[c.ASSIGNED_AT] >= as_of - pd.Timedelta(days=config.lookback_days)) & (ends <= as_of)]
    with_control = a.groupby(c.CAMPAIGN_ID)[c.GROUP].transform(lambda g: g.nunique() == 2)
    a = a[with_control.astype(bool)].reset_index(drop=True)
    if a.empty:
        return pd.DataFrame()
    a = a.join(window_outcomes(known, a)[[CONVERTED]])
    # The point-in-time view at as_of (a copy of most of the data set's rows when its tables are not in
    # time order) is not held through the months' feature builds, which each cut their own.
    engine = engine or InMemoryEngine(known)
    del known
    cutoff = a[c.ASSIGNED_AT].dt.to_period("M").dt.start_time
    keys: list[pd.DataFrame] = []
    spilled: list[tuple[Path, list[str]]] = []  # each month's features, on disk: see _assemble
    names: dict[str, None] = {}  # the numeric columns of every month, in order (as a concat would have them)
    with tempfile.TemporaryDirectory(prefix=".cible-uplift-") as work:
        for month, rows in a.groupby(cutoff, sort=True):
            if progress is not None:
                progress(f"features {month:%Y-%m}")
            at_month = engine.features(month, keep=False)
            features = at_month.set_index(c.CUSTOMER_ID)
            numeric = features.select_dtypes(include=["number", "bool"]).astype("float64")
            del at_month, features
            part = rows.join(numeric, on=c.CUSTOMER_ID).dropna(subset=[numeric.columns[0]])
            names |= dict.fromkeys(numeric.columns)
            keys.append(part[list(a.columns)].copy())
            path = Path(work) / f"{len(spilled)}.npy"
            np.save(path, part[list(numeric.columns)].to_numpy(dtype="float64"))
            spilled.append((path, list(numeric.columns)))
            del part, numeric
        return _assemble(keys, spilled, list(names), config if held_out_last else None)


def _assemble(
    keys: list[pd.DataFrame],
    spilled: list[tuple[Path, list[str]]],
    names: list[str],
    split: UpliftConfig | None,
) -> pd.DataFrame:
    """The months' rows as one frame. Their features (~100 float columns, over a GB at 100k customers)
    were written to disk month by month: the next month's feature build, the largest working set of
    the run, does not sit on top of them. They are read once into one array (a concat would hold
    the months' frames and the whole)."""
    rows = pd.concat(keys, ignore_index=True)
    keys.clear()
    order = np.arange(len(rows))
    if split is not None:  # training rows first, then the held-out ones, each in the months' order
        order = np.argsort(held_out(rows, split.holdout_share), kind="stable")
        rows = rows.take(order).reset_index(drop=True)
    at = np.empty(len(order), dtype=np.intp)
    at[order] = np.arange(len(order))  # where each row of the months goes
    matrix = np.empty((len(names), len(order)))  # one float block, a column per row of it
    position = {name: i for i, name in enumerate(names)}
    start = 0
    for path, columns in spilled:
        values = np.load(path, mmap_mode="r")
        where = at[start : start + len(values)]
        absent = [position[n] for n in names if n not in set(columns)]  # a concat's NaN
        matrix[np.ix_(absent, where)] = np.nan
        matrix[np.ix_([position[n] for n in columns], where)] = values.T
        start += len(values)
        del values
    rows = pd.concat([rows, pd.DataFrame(matrix.T, columns=names, copy=False)], axis=1)
    rows[c.OFFER_ID] = catalogue_offer(rows[c.OFFER_ID].fillna("none")).to_numpy()
    rows[TREATED] = (rows[c.GROUP] == vocab.TREATED).to_numpy()
    return rows


def feature_columns(rows: pd.DataFrame) -> tuple[str, ...]:
    skip = {c.CAMPAIGN_ID, c.CUSTOMER_ID, c.ASSIGNED_AT, c.GROUP, c.CHANNEL, c.OFFER_ID, CONVERTED, TREATED}
    return tuple(col for col in rows.columns if col not in skip)


def held_out(rows: pd.DataFrame, share: float) -> np.ndarray:
    ids = pd.Series(rows[c.CUSTOMER_ID].unique())
    out = pd.Series(in_control_group(ids, HOLDOUT_SALT, share * 100), index=ids)
    return out.reindex(rows[c.CUSTOMER_ID]).to_numpy(dtype=bool)


def _classifier(config: UpliftConfig) -> lgb.LGBMClassifier:
    return bagged_classifier(config)


def fit_uplift(
    rows: pd.DataFrame, learner: str, config: UpliftConfig, trained_until: pd.Timestamp | None = None
) -> UpliftModel:
    return fit_learners(rows, (learner,), config, trained_until)[learner]


def fit_learners(
    rows: pd.DataFrame,
    learners: Sequence[str],
    config: UpliftConfig,
    trained_until: pd.Timestamp | None = None,
) -> dict[str, UpliftModel]:
    """Each of ``learners`` fitted on ``rows``. The X-learner's two classifiers are the T-learner's (same
    rows, same settings, same seed: the same fit), so they are fitted once for both.

    Each model reads an array of only the rows it is fitted on (:func:`_matrix`), built when it is needed
    and released after: LightGBM would copy a DataFrame into such an array on every fit, and the treated,
    control and all-rows matrices together would be twice the rows' features."""
    unknown = [learner for learner in learners if learner not in LEARNERS]
    if unknown:
        raise ValueError(f"unknown learner {unknown[0]!r}; use one of {', '.join(LEARNERS)}")
    columns = feature_columns(rows)
    categories = {key: sorted(rows[key].unique().tolist()) for key in (c.OFFER_ID, c.CHANNEL)}
    names = [*columns, c.OFFER_ID, c.CHANNEL]
    named = {"feature_name": names, "categorical_feature": [c.OFFER_ID, c.CHANNEL]}
    y = rows[CONVERTED].to_numpy(dtype=int)
    w = rows[TREATED].to_numpy(dtype=bool)
    share = float(w.mean())
    effect = float(y[w].mean() - y[~w].mean())
    incremental = min(max(effect / y[w].mean(), 0.0), 1.0) if y[w].mean() > 0 else 0.0
    params = _classifier(config).get_params()
    treated, control = np.flatnonzero(w), np.flatnonzero(~w)

    def x(at: np.ndarray | None = None) -> np.ndarray:
        return _matrix(rows, columns, categories, at)

    fitted: dict[str, dict[str, Any]] = {}
    if T_LEARNER in learners or X_LEARNER in learners:
        pair = {"treated": _classifier(config).fit(x(treated), y[w], **named)}
        x_control = x(control)
        pair["control"] = _classifier(config).fit(x_control, y[~w], **named)
        fitted[T_LEARNER] = dict(pair)
        if X_LEARNER in learners:
            models: dict[str, Any] = dict(pair)
            imputed_c = _probability(pair["treated"], x_control) - y[~w]
            models["effect_control"] = lgb.LGBMRegressor(**params).fit(x_control, imputed_c, **named)
            del x_control  # before the treated rows' array is built again (cheaper than holding both)
            x_treated = x(treated)
            imputed_t = y[w] - _probability(pair["control"], x_treated)
            models["effect_treated"] = lgb.LGBMRegressor(**params).fit(x_treated, imputed_t, **named)
            del x_treated
            fitted[X_LEARNER] = models
    if TRANSFORMED_OUTCOME in learners:
        z = y * w / share - y * (~w) / (1 - share)
        fitted[TRANSFORMED_OUTCOME] = {"transformed": lgb.LGBMRegressor(**params).fit(x(), z, **named)}
    return {
        learner: UpliftModel(
            learner, fitted[learner], columns, categories, share, trained_until, asdict(config), incremental
        )
        for learner in learners
    }


def _probability(classifier: lgb.LGBMClassifier, x: np.ndarray) -> np.ndarray:
    """``predict_proba(x)[:, 1]`` of an array: the booster's own (scikit-learn's check of an array against
    the feature names it was fitted with only warns)."""
    return np.asarray(classifier.booster_.predict(x))


def _matrix(
    rows: pd.DataFrame, columns: Sequence[str], categories: dict[str, list[str]], at: np.ndarray | None
) -> np.ndarray:
    """``design_matrix`` of ``rows`` (those at ``at``, else all) as the array LightGBM reads without a copy:
    float64, a column after the other, offer and channel as their codes in ``categories`` (NaN when not
    in them), as LightGBM codes a DataFrame's categoricals: the models it fits are the same."""
    n = len(rows) if at is None else len(at)
    out = np.empty((n, len(columns) + 2), order="F")
    for j, column in enumerate(columns):
        values = rows[column].to_numpy(dtype="float64", na_value=np.nan)
        out[:, j] = values if at is None else values[at]
    for j, key in enumerate((c.OFFER_ID, c.CHANNEL), start=len(columns)):
        values = rows[key].to_numpy(dtype=object)
        codes = pd.Categorical(values if at is None else values[at], categories=categories[key]).codes
        out[:, j] = np.where(codes < 0, np.nan, codes)
    return out


def score(model: UpliftModel, rows: pd.DataFrame) -> tuple[float, float]:
    """(Qini coefficient, uplift@30%) of ``model``'s uplift on ``rows``."""
    u = model.uplift(rows, rows[c.OFFER_ID], rows[c.CHANNEL])
    y, w = rows[CONVERTED].to_numpy(int), rows[TREATED].to_numpy(bool)
    return qini_coefficient(u, y, w), uplift_at(u, y, w, 0.3)


def evaluate(
    train: pd.DataFrame, test: pd.DataFrame, config: UpliftConfig
) -> tuple[dict[str, UpliftModel], UpliftEvaluation]:
    models = fit_learners(train, LEARNERS, config)
    qini, at30 = {}, {}
    for learner, model in models.items():
        qini[learner], at30[learner] = score(model, test)
    response = models[T_LEARNER].response(test, test[c.OFFER_ID], test[c.CHANNEL])
    y, w = test[CONVERTED].to_numpy(int), test[TREATED].to_numpy(bool)
    qini[RESPONSE], at30[RESPONSE] = qini_coefficient(response, y, w), uplift_at(response, y, w, 0.3)
    observed = float(y[w].mean() - y[~w].mean())
    return models, UpliftEvaluation(qini, at30, len(train) + len(test), len(test), float(w.mean()), observed)


def split_rows(rows: pd.DataFrame, config: UpliftConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = held_out(rows, config.holdout_share)
    if not np.any(out[:-1] > out[1:]):  # the held-out rows last (uplift_rows(held_out_last=True)): no copy
        n = int(np.count_nonzero(~out))
        train, test = rows.iloc[:n].reset_index(drop=True), rows.iloc[n:].reset_index(drop=True)
    else:
        train, test = rows[~out].reset_index(drop=True), rows[out].reset_index(drop=True)
    for part, where in ((train, "training"), (test, "held-out")):
        treated = part[TREATED].to_numpy(dtype=bool)  # not a frame of the control rows: a copy of them
        conversions = int(part[CONVERTED].to_numpy(dtype=int)[~treated].sum())
        if conversions < MIN_CONTROL_CONVERSIONS or treated.all():
            raise NoControlGroupsError(
                f"{where} customers: {len(part):,} assignments, {conversions} control "
                f"conversions (need {MIN_CONTROL_CONVERSIONS}): campaigns need control groups "
                "(`cible segments export --control`) before an uplift model can be learnt"
            )
    return train, test


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
) -> UpliftRun:
    config = config or UpliftConfig()
    rows = uplift_rows(dataset, as_of, config, progress, engine, held_out_last=True)
    if rows.empty:
        raise NoControlGroupsError("no campaign with a control group in the data: no uplift model")
    train, test = split_rows(rows, config)  # views of rows (held out last): no copy of its features
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
