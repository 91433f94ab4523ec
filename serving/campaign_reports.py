"""Campaign results as ``cible materialize`` wrote them (``<home>/reports/campaign_results.parquet``): the
service reads this small file, reread when it changes, never the raw data."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from features import columns as c


@dataclass
class CampaignReports:
    path: Path
    _rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    _stamp: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            stamp: float | None = self.path.stat().st_mtime
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                rows: dict[str, dict[str, Any]] = {}
                if stamp is not None:
                    for record in pd.read_parquet(self.path).to_dict("records"):
                        rows[str(record[c.CAMPAIGN_ID])] = {k: _plain(v) for k, v in record.items()}
                self._rows, self._stamp = rows, stamp
            return self._rows

    def result(self, campaign_id: str) -> dict[str, Any] | None:
        return self._load().get(campaign_id)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value
