"""Settings of ``cible train uplift`` (its rows and its learners)."""

from __future__ import annotations

from dataclasses import dataclass


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
