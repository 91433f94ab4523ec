"""Loading a data folder: every command goes through here, so nothing unvalidated is ever processed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features import clock
from features.dataset import Dataset
from features.privacy.rules import PrivacyRules
from features.settings import Settings
from features.validate import DataValidationError, validate_folder


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
    problems, frames = validate_folder(Path(folder), now=now)
    if problems:
        raise DataValidationError(problems)
    rules = privacy or PrivacyRules.from_settings(Settings.from_env())
    return Dataset.from_frames(rules.apply(frames, now))
