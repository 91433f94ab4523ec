"""Loading a data folder: every command goes through here, so nothing unvalidated is ever processed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.dataset import Dataset
from features.validate import DataValidationError, validate_folder


def load_dataset(folder: Path | str, now: pd.Timestamp | None = None) -> Dataset:
    """Read and validate ``folder``; raise :class:`DataValidationError` listing every problem.

    ``now`` is the instant after which timestamps count as "in the future" (default: the wall clock).
    """
    now = pd.Timestamp.now() if now is None else pd.Timestamp(now)
    problems, frames = validate_folder(Path(folder), now=now)
    if problems:
        raise DataValidationError(problems)
    return Dataset.from_frames(frames)
