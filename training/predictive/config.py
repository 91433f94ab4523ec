"""Settings of the predictive pipelines, overridable from a YAML file (``cible train churn --config F``).

Only the keys given in the file change; ``lightgbm`` is merged key by key into
:data:`features.predictive.boosted.DEFAULT_PARAMS` (e.g. ``lightgbm: {n_estimators: 50}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from features.config_file import read_settings
from features.errors import CibleError
from features.predictive.boosted import DEFAULT_PARAMS
from features.predictive.calibration import METHODS


class PredictiveConfigError(CibleError, ValueError):
    """A setting is unknown or out of range; the message names it."""


@dataclass(frozen=True)
class PredictiveConfig:
    # Label windows, in days from the cutoff: churn = no order in it, propensity = an order in it,
    # value = net spend in it, next order = days to the next order, censored at it.
    churn_horizon_days: int = 90
    propensity_horizon_days: int = 30
    value_horizon_days: int = 365
    next_order_horizon_days: int = 180
    # Rolling origin: this many training cutoffs, this many days apart, the newest one's label window
    # ending on the validation cutoff (= as_of - horizon).
    n_cutoffs: int = 4
    cutoff_step_days: int = 30
    # A cutoff needs this much order history before it, and a training label window at least this long
    # (shorter windows are used, and logged, when the data are too short for the full horizon).
    min_history_days: int = 60
    min_label_days: int = 28
    # The promotion gate: a new model must beat the champion by this much on the same validation rows
    # (ROC-AUC points for churn and propensity, Spearman for value, days of MAE for next order).
    classification_margin: float = 0.002
    value_margin: float = 0.002
    next_order_margin_days: float = 0.5
    calibration: str = "isotonic"  # binary targets; values use a linear map (see ScoreCalibrator)
    rfm_prior_weight: float = 20.0
    btyd_penalizer: float = 0.0
    shap_sample: int = 2000  # validation rows explained for the SHAP summary plot
    seed: int = 0
    # LightGBM threads. One: on a shared 2-core machine, OpenMP threads that spin for a busy core make a
    # fit 20 times slower (measured: 1.2 s with one thread, 9 to 23 s with two, other jobs running).
    n_jobs: int = 1
    lightgbm: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.calibration not in METHODS:
            raise PredictiveConfigError(
                f"calibration must be one of {', '.join(METHODS)}, got {self.calibration!r}"
            )
        for name in ("churn_horizon_days", "propensity_horizon_days", "value_horizon_days"):
            if getattr(self, name) < 1:
                raise PredictiveConfigError(f"{name} must be at least 1 day")
        if self.n_cutoffs < 1 or self.cutoff_step_days < 1:
            raise PredictiveConfigError("n_cutoffs and cutoff_step_days must be at least 1")
        unknown = sorted(set(self.lightgbm) - set(DEFAULT_PARAMS))
        if unknown:
            raise PredictiveConfigError(
                f"unknown lightgbm setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(DEFAULT_PARAMS))}"
            )

    @property
    def lightgbm_params(self) -> dict[str, Any]:
        return {**DEFAULT_PARAMS, **self.lightgbm}

    def as_params(self) -> dict[str, str]:
        """Flat, for ``mlflow.log_params``."""
        flat = {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name != "lightgbm"}
        flat.update({f"lightgbm.{k}": str(v) for k, v in self.lightgbm_params.items()})
        return flat

    @classmethod
    def from_yaml(cls, path: Path) -> PredictiveConfig:
        data = read_settings(path, cls, PredictiveConfigError)
        try:
            return cls(**data)
        except TypeError as exc:  # a value of the wrong shape, e.g. a list for a number
            raise PredictiveConfigError(f"{path}: {exc}") from exc
