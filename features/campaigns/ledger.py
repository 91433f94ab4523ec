"""Campaign assignments recorded by Cible itself (``cible segments export``), in the Cible home.

The retailer's ``assignments`` table is the record when its CRM sends it back; until then (and for a
CRM that never does) each export writes who it picked, treated or control, to
``<home>/campaigns/assignments/<campaign_id>.parquet``, and every load merges these rows into the
``assignments`` table, as the consent changes received by the service are merged into ``consents``.
A row the data already holds (same campaign and customer) keeps the data's version. Erasure rewrites
the files without the person; retention applies to the merged rows like to any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features import columns as c
from features.arrays import isin
from features.dataset import conform
from features.errors import CibleError
from features.io import atomic_path
from features.schema import ASSIGNMENTS

CAMPAIGN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class CampaignIdError(CibleError):
    """A campaign id that cannot name a file (or is empty)."""


def check_campaign_id(campaign_id: str) -> str:
    if not CAMPAIGN_ID_PATTERN.match(campaign_id):
        raise CampaignIdError(
            f"campaign id {campaign_id!r}: use 1 to 100 letters, digits, '_', '-' or '.', starting with "
            "a letter or digit"
        )
    return campaign_id


@dataclass(frozen=True)
class AssignmentLedger:
    folder: Path  # <home>/campaigns/assignments

    @classmethod
    def in_home(cls, home: Path) -> AssignmentLedger:
        return cls(home / "campaigns" / "assignments")

    def path_for(self, campaign_id: str) -> Path:
        return self.folder / f"{check_campaign_id(campaign_id)}.parquet"

    def record(self, rows: pd.DataFrame) -> Path:
        """Write one campaign's assignments (replacing an earlier export of the same campaign)."""
        campaigns = rows[c.CAMPAIGN_ID].unique()
        if len(campaigns) != 1:
            raise ValueError(f"one campaign per record, got {len(campaigns)}")
        path = self.path_for(str(campaigns[0]))
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            conform(ASSIGNMENTS, rows).to_parquet(tmp, index=False)
        return path

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.parquet")) if self.folder.is_dir() else []

    def frame(self) -> pd.DataFrame:
        parts = [pd.read_parquet(p) for p in self.files()]
        if not parts:
            return conform(ASSIGNMENTS, pd.DataFrame(columns=list(ASSIGNMENTS.column_names)))
        return conform(ASSIGNMENTS, pd.concat(parts, ignore_index=True))

    def rows_for(self, customer_ids: pd.Series) -> pd.DataFrame:
        """The recorded rows of customers still in the data."""
        recorded = self.frame()
        return recorded[isin(recorded[c.CUSTOMER_ID], customer_ids)]  # Arrow's lookup: no Python set

    def merge(self, assignments: pd.DataFrame | None, customer_ids: pd.Series) -> pd.DataFrame | None:
        """``assignments`` (None: the data has no such file) with the ledger's rows of customers still in
        the data; the data's own row wins on a shared (campaign, customer)."""
        recorded = self.rows_for(customer_ids)
        if recorded.empty:
            return assignments
        if assignments is None:
            return recorded.reset_index(drop=True)
        recorded = recorded.astype({col: assignments[col].dtype for col in recorded if col in assignments})
        merged = pd.concat([assignments, recorded[list(assignments.columns)]], ignore_index=True)
        return merged.drop_duplicates([c.CAMPAIGN_ID, c.CUSTOMER_ID], keep="first").reset_index(drop=True)

    def forget(self, customer_id: str) -> int:
        """Erasure: rewrite every file holding the person; returns the number of rows removed."""
        return self._drop(lambda rows: rows[c.CUSTOMER_ID] == customer_id)

    def prune(self, before: pd.Timestamp) -> int:
        """Retention: drop rows assigned before ``before``; returns the number of rows removed."""
        return self._drop(lambda rows: pd.to_datetime(rows[c.ASSIGNED_AT]) < before)

    def _drop(self, which: Callable[[pd.DataFrame], pd.Series]) -> int:
        removed = 0
        for path in self.files():
            rows = pd.read_parquet(path)
            keep = ~which(rows)
            if not keep.all():
                removed += int((~keep).sum())
                with atomic_path(path) as tmp:
                    rows[keep].to_parquet(tmp, index=False)
        return removed
