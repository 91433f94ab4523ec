"""Registering models and the promotion gate: a new version becomes ``champion`` only if it is better."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cloudpickle
import lightgbm
import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
import scipy
import sklearn
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from features import clock
from features.errors import CibleError

CHAMPION = "champion"
log = logging.getLogger(__name__)
# Every registered model pins the libraries its pickle needs. Written out rather than inferred: MLflow's
# inference re-imports the model in a subprocess (seconds per model) and guesses from what it sees.
REQUIREMENTS = (
    f"lightgbm=={lightgbm.__version__}",
    f"scikit-learn=={sklearn.__version__}",
    f"numpy=={np.__version__}",
    f"pandas=={pd.__version__}",
    f"scipy=={scipy.__version__}",
    f"cloudpickle=={cloudpickle.__version__}",
)


@dataclass(frozen=True)
class GateDecision:
    promoted: bool
    reason: str
    metric: str
    candidate: float
    champion: float | None

    def as_tags(self) -> dict[str, str]:
        return {
            "gate.promoted": str(self.promoted).lower(),
            "gate.reason": self.reason,
            "gate.metric": self.metric,
            "gate.candidate": f"{self.candidate:.6g}",
        }


def champion_version(client: MlflowClient, name: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def decide(
    metric: str, candidate: float, champion: float | None, margin: float, higher_is_better: bool = True
) -> GateDecision:
    """Promote when there is no champion, or when the candidate beats it by ``margin`` on ``metric``.

    Both scores must come from the same evaluation data: the caller scores the current champion on the
    candidate's validation window rather than trusting a number from another window.
    """
    if champion is None:
        return GateDecision(True, f"no champion yet; {metric}={candidate:.4f}", metric, candidate, None)
    gain = candidate - champion if higher_is_better else champion - candidate
    outcome = "promoted" if gain >= margin else "champion kept"
    reason = (
        f"candidate {metric}={candidate:.4f} vs champion {champion:.4f}: gain {gain:+.4f}, "
        f"required at least {margin:+g}: {outcome}"
    )
    return GateDecision(gain >= margin, reason, metric, candidate, champion)


def register(client: MlflowClient, model_uri: str, name: str, decision: GateDecision) -> ModelVersion:
    """Register ``model_uri`` as a new version of ``name``; move the champion alias if the gate says so."""
    version = mlflow.register_model(model_uri, name)
    for key, value in decision.as_tags().items():
        client.set_model_version_tag(name, version.version, key, value)
    if decision.promoted:
        client.set_registered_model_alias(name, CHAMPION, version.version)
        log.info("%s v%s is the new champion: %s", name, version.version, decision.reason)
    else:
        log.info("%s v%s registered, not promoted: %s", name, version.version, decision.reason)
    return version


def log_and_register(client: MlflowClient, model: Any, name: str, decision: GateDecision) -> ModelVersion:
    """Log ``model`` in the active run and register it as a version of ``name`` behind the gate's decision.

    The one registration path of every pipeline: cloudpickle (MLflow 3's default, skops, refuses LightGBM
    objects and Cible's own classes) and the pinned :data:`REQUIREMENTS`."""
    info = mlflow.sklearn.log_model(
        model, name="model", serialization_format="cloudpickle", pip_requirements=list(REQUIREMENTS)
    )
    return register(client, info.model_uri, name, decision)


def load_champion(client: MlflowClient, name: str) -> tuple[Any, str] | None:
    """The model holding ``name``'s champion alias and its version, or None when there is none."""
    version = champion_version(client, name)
    if version is None:
        return None
    # by version rather than by alias: the alias may move between the two calls
    return mlflow.sklearn.load_model(f"models:/{name}/{version.version}"), str(version.version)


@dataclass(frozen=True)
class VersionSummary:
    """A registered version as a data scientist compares it: its run's metrics and the gate's verdict."""

    name: str
    version: str
    champion: bool
    created: str  # the retailer's local time (features.clock), to the minute, like every time Cible shows
    run_id: str | None
    metrics: dict[str, float]
    gate: str | None  # the gate's reason
    gate_promoted: bool | None
    gate_metric: str | None = None  # what the gate compared, and the version's value of it
    gate_value: float | None = None
    promoted_by_hand: bool = False


class RegistryError(CibleError, ValueError):
    """A model or version that is not in the registry (the message names it)."""


def versions(client: MlflowClient, name: str | None = None) -> list[VersionSummary]:
    """Every version of ``name`` (or of every registered model), newest first within each model."""
    names = [name] if name else sorted(m.name for m in client.search_registered_models())
    out: list[VersionSummary] = []
    for model in names:
        champion = champion_version(client, model)
        found = client.search_model_versions(f"name = '{model}'")
        if name and not found:
            raise RegistryError(f"no registered model {model!r}: `cible models list` shows the names")
        for v in sorted(found, key=lambda v: int(v.version), reverse=True):
            metrics = _run_metrics(client, v.run_id)
            tags = dict(v.tags or {})
            # MLflow stamps milliseconds since the epoch (UTC); shown in the retailer's zone like every time
            created = clock.to_local(datetime.fromtimestamp(v.creation_timestamp / 1000, UTC))
            out.append(
                VersionSummary(
                    name=model,
                    version=str(v.version),
                    champion=champion is not None and str(champion.version) == str(v.version),
                    created=created.strftime("%Y-%m-%d %H:%M"),
                    run_id=v.run_id,
                    metrics=dict(metrics),
                    gate=tags.get("gate.reason"),
                    gate_promoted={"true": True, "false": False}.get(tags.get("gate.promoted", "")),
                    gate_metric=tags.get("gate.metric"),
                    gate_value=_gate_value(tags, metrics),
                    promoted_by_hand=tags.get("promoted_by_hand") == "true",
                )
            )
    return out


def _run_metrics(client: MlflowClient, run_id: str | None) -> dict[str, float]:
    """A version's run metrics; none when its run was deleted (the version outlives it)."""
    if not run_id:
        return {}
    try:
        return dict(client.get_run(run_id).data.metrics)
    except MlflowException:
        return {}


def _gate_value(tags: dict[str, str], metrics: dict[str, float]) -> float | None:
    """The version's value of its gate metric: tagged since the tag existed, else from its run."""
    if "gate.candidate" in tags:
        return float(tags["gate.candidate"])
    metric = tags.get("gate.metric")
    if metric is None:
        return None
    return metrics.get(metric, metrics.get(f"cible.{metric}"))


def promote(client: MlflowClient, name: str, version: str) -> str | None:
    """Move ``name``'s champion alias to ``version`` by hand (a rollback is a promotion of an older one);
    the running service picks it up at its next poll. Returns the version that was champion."""
    try:
        client.get_model_version(name, version)
    except MlflowException as exc:
        raise RegistryError(f"{name!r} has no version {version!r}: `cible models list {name}`") from exc
    before = champion_version(client, name)
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "promoted_by_hand", "true")
    log.info("%s v%s promoted by hand (champion was v%s)", name, version, before and before.version)
    return str(before.version) if before else None
