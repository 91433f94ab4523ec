"""Consent changes received by the service (a web form, an adviser's call) between two data exports.

The retailer's ``consents`` table stays the ledger of record, but its next export may lag: a withdrawal
given to the service a second ago must hold everywhere at once and must not be undone by the next
materialisation from an older export. So the service appends each change here (durably, before it
answers) and every load merges these rows into the ``consents`` table, where the latest record per
customer and purpose decides as usual.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features import columns as c
from features.arrays import isin
from features.io import atomic_path, exclusive

COLUMNS = (c.CUSTOMER_ID, c.PURPOSE, c.GRANTED, c.RECORDED_AT, c.SOURCE, c.PROOF)


@dataclass(frozen=True)
class ConsentUpdates:
    path: Path

    def append(self, rows: list[dict]) -> None:
        """Rows with the ``consents`` columns, already validated; one O_APPEND write, so concurrent
        workers never interleave lines."""
        if not rows:
            return
        text = "".join(json.dumps({k: row[k] for k in COLUMNS}, default=str) + "\n" for row in rows)
        # under the file's lock: an erasure rewriting it meanwhile would drop this line at its rename
        with exclusive(self.path):
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, text.encode())
            finally:
                os.close(fd)

    def frame(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=list(COLUMNS))
        rows = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        frame[c.RECORDED_AT] = pd.to_datetime(frame[c.RECORDED_AT])
        frame[c.GRANTED] = frame[c.GRANTED].astype(bool)
        return frame

    def rows_for(self, customer_ids: pd.Series) -> pd.DataFrame:
        """The changes of customers still in the data (an erased or expired customer's go nowhere)."""
        updates = self.frame()
        return updates[isin(updates[c.CUSTOMER_ID], customer_ids)]  # Arrow's lookup: no Python set

    def merge(self, consents: pd.DataFrame, customer_ids: pd.Series) -> pd.DataFrame:
        """``consents`` with the service's changes for customers still in the data; a change replaces
        the data's record of the same customer, purpose and time."""
        updates = self.rows_for(customer_ids)
        if updates.empty:
            return consents
        updates = updates.astype({col: consents[col].dtype for col in COLUMNS if col in consents})
        merged = pd.concat([consents, updates[list(consents.columns)]], ignore_index=True)
        return merged.drop_duplicates([c.CUSTOMER_ID, c.PURPOSE, c.RECORDED_AT], keep="last")

    def forget(self, customer_id: str) -> int:
        """Erasure: the person's consent changes go with the rest of their data."""
        if not self.path.exists():
            return 0
        with exclusive(self.path):  # no change appended between this read and the rename is lost
            lines = self.path.read_text().splitlines()
            keep = [line for line in lines if line.strip() and json.loads(line)[c.CUSTOMER_ID] != customer_id]
            if len(keep) != len(lines):
                with atomic_path(self.path) as tmp:
                    tmp.write_text("".join(f"{line}\n" for line in keep))
        return len(lines) - len(keep)
