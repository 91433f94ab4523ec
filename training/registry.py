"""Registering models and the promotion gate: a new version becomes ``champion`` only if it is better."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

CHAMPION = "champion"
log = logging.getLogger(__name__)


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
