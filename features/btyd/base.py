"""What every BTYD model shares: scikit-learn-style parameters, fitted attributes and JSON persistence.

Models follow the scikit-learn conventions (``__init__`` stores settings only, ``fit`` returns
``self``, learned values end in ``_``) and hold nothing but floats, so they pickle into an MLflow model
as they are; ``to_dict``/``from_dict`` keep the same state as plain JSON for a registry or a feature
store, and a model rebuilt from it predicts exactly like the fitted one.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np

from features.btyd.fitting import FitResult


class NotFittedError(ValueError):
    """A prediction was asked of a model that was neither fitted nor loaded."""


class BTYDModel:
    """Base of the BTYD models: ``penalizer`` (L2 on the parameters, as in ``lifetimes``; 0 = plain MLE)."""

    PARAM_NAMES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    # --- scikit-learn's estimator protocol (enough for sklearn.base.clone) ---
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"penalizer": self.penalizer}

    def set_params(self, **params: Any) -> Self:
        for name, value in params.items():
            if name not in self.get_params():
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}")
            setattr(self, name, value)
        return self

    # --- fitted state ---
    @property
    def params_(self) -> dict[str, float]:
        """The learned parameters by name, e.g. ``{"r": .., "alpha": .., "a": .., "b": ..}``."""
        self._check_fitted()
        return {name: float(getattr(self, name + "_")) for name in self.PARAM_NAMES}

    def _check_fitted(self) -> None:
        if not all(hasattr(self, name + "_") for name in self.PARAM_NAMES):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit() or from_dict() first")

    def _check_penalizer(self) -> float:
        penalizer = float(self.penalizer)
        if not np.isfinite(penalizer) or penalizer < 0:
            raise ValueError(f"penalizer must be a finite number >= 0, got {self.penalizer!r}")
        return penalizer

    def _store(self, result: FitResult, n_customers: float, n_patterns: int) -> None:
        for name, value in zip(self.PARAM_NAMES, result.params, strict=True):
            setattr(self, name + "_", float(value))
        self.log_likelihood_ = float(result.mean_log_likelihood * n_customers)
        self.n_customers_ = float(n_customers)
        self.n_patterns_ = int(n_patterns)
        self.converged_ = result.converged

    # --- persistence ---
    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready plain values: its class, settings, parameters and fit statistics."""
        self._check_fitted()
        return {
            "model": type(self).__name__,
            "settings": self.get_params(),
            "params": self.params_,
            "fit": {
                name: getattr(self, name + "_", None)
                for name in ("log_likelihood", "n_customers", "n_patterns", "converged")
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The model ``to_dict`` described; raises if ``data`` describes another kind of model."""
        if data.get("model") != cls.__name__:
            raise ValueError(f"{cls.__name__}.from_dict got a {data.get('model')!r} model")
        missing = set(cls.PARAM_NAMES) - set(data.get("params", {}))
        if missing:
            raise ValueError(f"{cls.__name__}.from_dict: parameters {sorted(missing)} are missing")
        model = cls(**data.get("settings", {}))
        for name in cls.PARAM_NAMES:
            setattr(model, name + "_", float(data["params"][name]))
        for name, value in data.get("fit", {}).items():
            if value is not None:
                setattr(model, name + "_", value)
        return model

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        if not all(hasattr(self, name + "_") for name in self.PARAM_NAMES):
            return f"{type(self).__name__}({settings})"
        fitted = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{type(self).__name__}({settings}) fitted: {fitted}"
