"""Retention periods per table: rows older than their table's period are not kept and not used."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.config_file import read_settings
from features.schema import TIME_COLUMN


@dataclass(frozen=True)
class RetentionPolicy:
    """Months each table is kept (None: as long as the customer relationship lasts).

    Defaults follow the French CNIL's guidance for marketing data: browsing traces 13 months,
    prospecting contacts 3 years.
    """

    events: int | None = 13
    contacts: int | None = 36
    assignments: int | None = 36  # the campaign decisions behind contacts: kept as long as the contacts
    orders: int | None = None
    consents: int | None = None  # proof of consent is kept as long as it may be needed as evidence

    @classmethod
    def from_yaml(cls, path: Path) -> RetentionPolicy:
        data = read_settings(path, cls)
        for table, months in data.items():
            if months is not None and (not isinstance(months, int) or months < 1):
                raise ValueError(f"{path}: retention of {table} must be a whole number of months or empty")
        return cls(**data)

    def cutoff(self, table: str, now: pd.Timestamp) -> pd.Timestamp | None:
        months = getattr(self, table, None)
        return None if months is None else now - pd.DateOffset(months=months)

    def expired(self, table: str, frame: pd.DataFrame, now: pd.Timestamp) -> pd.Series:
        """Rows of ``frame`` older than the table's retention period at ``now``."""
        limit = self.cutoff(table, now)
        if limit is None or table not in TIME_COLUMN:
            return pd.Series(False, index=frame.index)
        return frame[TIME_COLUMN[table]] < limit
