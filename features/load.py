"""Loading a data folder: every command goes through here, so nothing unvalidated is ever processed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features import clock
from features import columns as c
from features.dataset import Dataset
from features.privacy.rules import PrivacyRules
from features.settings import Settings
from features.validated_cache import cache_dir, validate_folder_cached
from features.validation_problems import DataValidationError


def load_dataset(
    folder: Path | str, now: pd.Timestamp | None = None, privacy: PrivacyRules | None = None
) -> Dataset:
    """Read and validate ``folder``; raise :class:`DataValidationError` listing every problem.

    ``now`` is the instant after which timestamps count as "in the future" and from which retention
    periods are counted (default: :func:`features.clock.now`, the retailer's local time).
    Erased customers and rows past their retention period are left out (``privacy`` defaults to the
    rules of the Cible home in the environment), so no later step can use them.
    """
    now = clock.now() if now is None else pd.Timestamp(now)
    settings = Settings.from_env()
    problems, frames = validate_folder_cached(Path(folder), now, cache_dir(settings.home))
    if problems:
        raise DataValidationError(problems)
    rules = privacy or PrivacyRules.from_settings(settings)
    if "customers" in frames:  # assignments recorded by Cible's own exports (features.campaigns.ledger)
        customer_ids = frames["customers"][c.CUSTOMER_ID]
        frames["assignments"] = rules.assignments.merge(frames.get("assignments"), customer_ids)
    return Dataset.from_frames(rules.apply(frames, now))
