"""Any BTYD model back from the JSON its ``to_dict`` wrote, whatever its kind: what serving needs."""

from __future__ import annotations

from typing import Any

from features.btyd.base import BTYDModel
from features.btyd.bgnbd import BGNBD
from features.btyd.gamma_gamma import GammaGamma
from features.btyd.mbgnbd import MBGNBD

MODELS: dict[str, type[BTYDModel]] = {model.__name__: model for model in (BGNBD, MBGNBD, GammaGamma)}


def model_from_dict(data: dict[str, Any]) -> BTYDModel:
    """The model described by ``data`` (``{"model": "BGNBD", "params": {...}, ...}``)."""
    kind = data.get("model")
    if kind not in MODELS:
        raise ValueError(f"unknown BTYD model {kind!r}: expected one of {sorted(MODELS)}")
    return MODELS[kind].from_dict(data)
