"""Rows Cible recorded itself (campaign assignments of its exports, consent changes received by the
service) merged into the data's table while that table is read, without a copy of the whole table.

A merge is ``concat([data, recorded]).drop_duplicates(key)``, the data's row or the recorded one winning
on a shared key, then the privacy rules on every row. The data's rows of a key never repeat (it is the
table's key), so the same rows come from: the data's rows less those a recorded row replaces, then the
recorded rows (deduplicated among themselves as the merge does) less those a data row wins over, each
side with the rules applied. Which keys are shared is found as the table is read, on every row, before
the rules drop any: a data row that wins and then expires still takes its recorded row with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from features import columns as c
from features.privacy.batch_rules import is_in


@dataclass
class RecordedRows:
    rows: pd.DataFrame  # in the data's dtypes and column order, deduplicated on ``key``
    key: list[str]
    data_wins: bool
    _shared: list[pd.DataFrame] = field(default_factory=list)  # keys of data rows that won

    @classmethod
    def of(cls, recorded: pd.DataFrame, data: pa.Schema, key: list[str], data_wins: bool) -> RecordedRows:
        """``recorded`` as a merge into a table of schema ``data`` takes them: cast to its dtypes; of
        rows sharing a key, the first kept when the data's row wins (it comes first), else the last."""
        dtypes = data.empty_table().to_pandas().dtypes
        rows = recorded.astype({col: dtypes[col] for col in recorded.columns if col in dtypes})
        rows = rows[list(dtypes.index)].drop_duplicates(key, keep="first" if data_wins else "last")
        return cls(rows.reset_index(drop=True), key, data_wins)

    def shared(self, data: pa.Table) -> np.ndarray:
        """Which rows of ``data`` have the key of a recorded row (remembered when the data's win)."""
        out = np.zeros(data.num_rows, dtype=bool)
        customers = pa.array(self.rows[c.CUSTOMER_ID].unique(), type=pa.large_string())
        candidates = np.flatnonzero(is_in(data[c.CUSTOMER_ID], customers).to_numpy(zero_copy_only=False))
        if not len(candidates):
            return out
        keys = data.select(self.key).take(pa.array(candidates)).to_pandas()
        hit = pd.MultiIndex.from_frame(keys).isin(pd.MultiIndex.from_frame(self.rows[self.key]))
        out[candidates[hit]] = True
        if self.data_wins:
            self._shared.append(keys[hit])
        return out

    def replaced(self, data: pa.Table) -> pa.Array | None:
        """The rows of ``data`` a recorded row replaces (None when the data's rows win)."""
        shared = self.shared(data)
        return None if self.data_wins else pa.array(shared)

    def remaining(self) -> pd.DataFrame:
        """The recorded rows the merge keeps once the whole table has been read."""
        if not self._shared:
            return self.rows
        won = pd.MultiIndex.from_frame(pd.concat(self._shared, ignore_index=True))
        return self.rows[~pd.MultiIndex.from_frame(self.rows[self.key]).isin(won)].reset_index(drop=True)

    def appended(self, data: pa.Table, rows: pd.DataFrame) -> pa.Table:
        """``data`` then ``rows`` (the recorded rows left), as one table of ``data``'s schema."""
        if rows.empty:
            return data
        schema = data.schema.remove_metadata()
        extra = pa.Table.from_pandas(rows, schema=schema, preserve_index=False)
        return pa.concat_tables([data, extra.replace_schema_metadata(data.schema.metadata)])
