"""The four targets: label, horizon, who is scored, the gate's metric, and the directions the trees must
respect (everything else equal, more days since the last order never lowers churn risk)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.customer_features import names as n
from features.predictive import btyd_features as b
from features.predictive.model import CHURN, NEXT_ORDER, PROPENSITY, TARGET_KINDS, VALUE
from training.predictive import labels
from training.predictive.config import PredictiveConfig

CHURN_MONOTONE: dict[str, int] = {
    n.DAYS_SINCE_LAST_ORDER: 1,
    n.RECENCY_GAP_RATIO: 1,
    b.BTYD_P_ALIVE: -1,
    b.BTYD_P_ORDER: -1,
    b.BTYD_EXPECTED_ORDERS: -1,
}


@dataclass(frozen=True)
class TargetSpec:
    name: str  # also the registered model's name
    command: str  # `cible train COMMAND`
    description: str
    label: Callable[[pd.DataFrame, float], np.ndarray]
    metric: str
    higher_is_better: bool
    buyers_only: bool  # churn is only defined for someone who has ordered
    monotone: dict[str, int] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return TARGET_KINDS[self.name]

    def horizon(self, config: PredictiveConfig) -> int:
        return int(getattr(config, f"{self.name}_horizon_days"))

    def margin(self, config: PredictiveConfig) -> float:
        return {
            CHURN: config.classification_margin,
            PROPENSITY: config.classification_margin,
            VALUE: config.value_margin,
            NEXT_ORDER: config.next_order_margin_days,
        }[self.name]

    def bounds(self, horizon: float) -> tuple[float | None, float | None]:
        if self.name == NEXT_ORDER:
            return 0.0, float(horizon)
        return (0.0, 1.0) if self.kind == "binary" else (0.0, None)


TARGETS: dict[str, TargetSpec] = {
    spec.name: spec
    for spec in (
        TargetSpec(
            CHURN,
            "churn",
            "P(no order in the next H days) for customers with at least one order",
            labels.churned,
            "roc_auc",
            True,
            True,
            CHURN_MONOTONE,
        ),
        TargetSpec(
            PROPENSITY,
            "propensity",
            "P(an order in the next 30 days) for every customer, prospects included",
            labels.ordered,
            "roc_auc",
            True,
            False,
            {col: -sign for col, sign in CHURN_MONOTONE.items()},
        ),
        TargetSpec(
            VALUE,
            "value",
            "net spend in the next 365 days, for every customer",
            labels.spend,
            "spearman",
            True,
            False,
            {b.BTYD_EXPECTED_VALUE: 1},
        ),
        TargetSpec(
            NEXT_ORDER,
            "next-order",
            "days to the next order (restricted mean within the horizon), for every customer",
            labels.days_to_next,
            "mae",
            False,
            False,
            {b.BTYD_P_ORDER: -1},
        ),
    )
}
