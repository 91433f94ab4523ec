"""Train, gate and register ``offer_response``, the P(accept | customer, offer, channel) model that the
next best offer reads. Run by ``cible train nbo`` next to the product recommender.

Split: fit on the offers sent in [as_of - 2h, as_of - h), validate on [as_of - h, as_of); the gate asks for
a better ROC-AUC than the offer x channel acceptance-rate baseline and than the current champion on that
window. The registered model is refit on both windows (each with its own point-in-time features), so a
champion whose contacts reach into the validation window has seen its outcomes: it is then compared as
its recipe (its settings) refit on the candidate's training window, like with like.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.metrics import roc_auc_score

from features import columns as c
from features.arrays import known_levels
from features.batch_engine import BatchEngine
from features.dataset import Dataset
from features.errors import CibleError
from features.offers.response_model import (
    OFFER_KEYS,
    OfferResponseModel,
    catalogue_offer,
    effect_rates,
    shrunk_rates,
)
from features.settings import Settings
from training.boosting import bagged_classifier
from training.offers.response import ACCEPTED, offer_contacts
from training.offers.response_rows import stored_response_rows
from training.registry import GateDecision, decide, log_and_register
from training.registry import load_champion as load_registered
from training.stored_rows import StoredRows
from training.streamed_fit import BlockRows, fit_streamed
from training.tracking import connect, training_run

MODEL_NAME = "offer_response"
EXPERIMENT = "offer_response"
AUC = "roc_auc"
MIN_ACCEPTANCES = 5  # per window: fewer and the AUC is noise


class NoOfferHistoryError(CibleError, ValueError):
    """The contacts hold too few offers (or acceptances) to learn a response model."""


@dataclass(frozen=True)
class OfferResponseConfig:
    horizon_days: int = 90
    n_estimators: int = 200
    learning_rate: float = 0.03
    num_leaves: int = 15
    min_child_samples: int = 50
    n_jobs: int = 1
    seed: int = 7


@dataclass(frozen=True)
class OfferResponseRun:
    run_id: str
    version: str
    decision: GateDecision
    model_auc: float
    baseline_auc: float
    champion_auc: float | None
    validation_contacts: int


def response_rows(
    dataset: Dataset, start: pd.Timestamp, end: pd.Timestamp, engine: BatchEngine | None = None
) -> pd.DataFrame:
    """Offers sent in [start, end), named by catalogue offer, with the customers' features at ``start``."""
    rows = offer_contacts(dataset, start, end, engine)
    rows[c.OFFER_ID] = catalogue_offer(rows[c.OFFER_ID]).to_numpy()
    return rows


def _check(rows: pd.DataFrame | StoredRows, where: str) -> None:
    keys = rows.keys if isinstance(rows, StoredRows) else rows
    if len(keys) == 0 or keys[ACCEPTED].sum() < MIN_ACCEPTANCES or keys[ACCEPTED].all():
        raise NoOfferHistoryError(
            f"{where}: {len(keys):,} offers and {int(keys[ACCEPTED].sum()) if len(keys) else 0} acceptances "
            f"(need at least {MIN_ACCEPTANCES}) — no offer response model"
        )


def fit_response_model(
    rows: pd.DataFrame | StoredRows, config: OfferResponseConfig, trained_until: pd.Timestamp | None = None
) -> OfferResponseModel:
    """The classifier on ``design_matrix`` of ``rows``, its LightGBM Dataset built a span of rows at a time
    (:func:`training.streamed_fit.fit_streamed`; offer and channel as their codes, the frame's
    categories recorded as a fit on the frame records them: the same model)."""
    rows = rows if isinstance(rows, StoredRows) else StoredRows.of(rows, _features(rows))
    keys, columns = rows.keys, rows.names
    categories = {key: sorted(keys[key].unique().tolist()) for key in OFFER_KEYS}
    y = keys[ACCEPTED].to_numpy(dtype=int)
    names = [*columns, *OFFER_KEYS]
    codes = np.empty((len(keys), len(OFFER_KEYS)))
    for j, key in enumerate(OFFER_KEYS):
        coded = known_levels(keys[key].to_numpy(dtype=object), categories[key]).codes
        codes[:, j] = np.where(coded < 0, np.nan, coded)

    def read(start: int, stop: int) -> np.ndarray:
        out = np.empty((stop - start, len(names)))
        out[:, : len(columns)] = rows.values(start, stop)
        out[:, len(columns) :] = codes[start:stop]
        return out

    classifier = fit_streamed(
        bagged_classifier(config),
        BlockRows(read, np.arange(len(keys)), len(names)),
        y,
        feature_name=names,
        categorical_feature=list(OFFER_KEYS),
    )
    classifier.booster_.pandas_categorical = [categories[key] for key in OFFER_KEYS]
    pair_rates, overall = shrunk_rates(keys, y, list(OFFER_KEYS))
    channel_rates, _ = shrunk_rates(keys, y, [c.CHANNEL])
    offer_effects, channel_effects, _ = effect_rates(
        keys[c.OFFER_ID].to_numpy(), keys[c.CHANNEL].to_numpy(), y
    )
    return OfferResponseModel(
        classifier=classifier,
        feature_columns=columns,
        categories=categories,
        pair_rates=pair_rates,
        channel_rates=channel_rates,
        overall_rate=overall,
        horizon_days=config.horizon_days,
        trained_pairs=frozenset(pair_rates),
        offer_effects=offer_effects,
        channel_effects=channel_effects,
        trained_until=trained_until,
        params=asdict(config),
    )


def _features(rows: pd.DataFrame) -> tuple[str, ...]:
    return tuple(col for col in rows.columns if col not in (c.CUSTOMER_ID, ACCEPTED, *OFFER_KEYS))


def _auc(model: OfferResponseModel, rows: pd.DataFrame | StoredRows, personal: bool = True) -> float:
    rows = rows if isinstance(rows, StoredRows) else StoredRows.of(rows, _features(rows))
    keys = rows.keys
    if personal:  # a span at a time: the model's input is a frame of every feature of its rows
        parts = [
            model.accept_probability(features, part[c.OFFER_ID].to_numpy(), part[c.CHANNEL].to_numpy())
            for part, features in rows.frames()
        ]
        p = np.concatenate(parts) if parts else np.empty(0)
    else:  # the baseline: each (offer, channel)'s acceptance rate on the training window
        p = np.array([model.prior(o, ch) for o, ch in zip(keys[c.OFFER_ID], keys[c.CHANNEL], strict=True)])
    return float(roc_auc_score(keys[ACCEPTED].to_numpy(dtype=int), p))


def comparable_champion(
    champion: OfferResponseModel, train: pd.DataFrame | StoredRows, validation_start: pd.Timestamp
) -> tuple[OfferResponseModel, str]:
    """The champion as it can fairly be scored on a window starting at ``validation_start``: as registered
    when its contacts end before the window, else its settings refit on the candidate's training rows
    (a champion refit on the validation window has seen its outcomes). Also says which one it is."""
    until = getattr(champion, "trained_until", None)
    if until is not None and until <= validation_start:
        return champion, "as registered"
    known = set(OfferResponseConfig.__dataclass_fields__)
    params = {k: v for k, v in (getattr(champion, "params", None) or {}).items() if k in known}
    refit = fit_response_model(train, OfferResponseConfig(**params), validation_start)
    return refit, "its settings refit on the candidate's training window"


def load_offer_champion(client: MlflowClient) -> OfferResponseModel | None:
    found = load_registered(client, MODEL_NAME)
    return found[0] if found else None


def train_offer_response(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config: OfferResponseConfig | None = None,
    engine: BatchEngine | None = None,
) -> OfferResponseRun:
    """Fit, compare with the baseline and the champion on the latest window, gate, refit, register
    (customers' features built on ``engine`` when given, else in memory)."""
    config = config or OfferResponseConfig()
    # Both windows' features stay in files for the run, read a span at a time (training.stored_rows).
    with tempfile.TemporaryDirectory(prefix=".cible-offers-") as work:
        return _train_offer_response(dataset, as_of, settings, config, Path(work), engine)


def _train_offer_response(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config: OfferResponseConfig,
    work: Path,
    engine: BatchEngine | None,
) -> OfferResponseRun:
    h = pd.Timedelta(days=config.horizon_days)
    train = stored_response_rows(dataset, as_of - 2 * h, as_of - h, work, engine)
    valid = stored_response_rows(dataset, as_of - h, as_of, work, engine)
    _check(train, f"offers sent from {as_of - 2 * h:%Y-%m-%d} to {as_of - h:%Y-%m-%d}")
    _check(valid, f"offers sent from {as_of - h:%Y-%m-%d} to {as_of:%Y-%m-%d}")
    candidate = fit_response_model(train, config, as_of - h)
    model_auc, baseline_auc = _auc(candidate, valid), _auc(candidate, valid, personal=False)
    client = connect(settings)
    champion = load_offer_champion(client)
    champion_auc, champion_as = None, ""
    if champion is not None:
        comparable, champion_as = comparable_champion(champion, train, as_of - h)
        champion_auc = _auc(comparable, valid)
    if model_auc <= baseline_auc:
        reason = (
            f"candidate {AUC}={model_auc:.4f} does not beat the acceptance-rate baseline ({baseline_auc:.4f})"
        )
        decision = GateDecision(False, reason, AUC, model_auc, champion_auc)
    else:
        decision = decide(AUC, model_auc, champion_auc, margin=0.0)
        if champion_as:
            decision = replace(decision, reason=f"{decision.reason} (champion: {champion_as})")
    final = fit_response_model(train.then(valid), config, as_of)
    with training_run(settings, EXPERIMENT, f"offer_response {as_of:%Y-%m-%d}", dataset):
        offers = ",".join(final.categories[c.OFFER_ID])
        mlflow.log_params({**config.__dict__, "as_of": str(as_of), "offers": offers})
        metrics = {
            AUC: model_auc,
            f"baseline.{AUC}": baseline_auc,
            "validation_contacts": float(len(valid)),
            "validation_acceptance_rate": float(valid.keys[ACCEPTED].mean()),
        }
        if champion_auc is not None:
            metrics[f"champion.{AUC}"] = champion_auc
        mlflow.log_metrics(metrics)
        version = log_and_register(client, final, MODEL_NAME, decision)
        mlflow.set_tags(decision.as_tags())
        run_id = mlflow.active_run().info.run_id  # type: ignore[union-attr]
    return OfferResponseRun(
        run_id, str(version.version), decision, model_auc, baseline_auc, champion_auc, len(valid)
    )
