"""The problems a validation reports, and how one table's are gathered over its batches.

Each problem names the file, the column, the rows (CSV: the line in the file, header = line 1; Parquet:
the 1-based row) and the offending values, so a data engineer can go straight to the cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.errors import CibleError
from features.schema import Table

MAX_ROWS_SHOWN = 5
MAX_VALUES_SHOWN = 3


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    row_count: int = 0
    values: tuple[str, ...] = ()
    row_word: str = "row"

    def __str__(self) -> str:
        where = [self.file]
        if self.column:
            where.append(f"column '{self.column}'")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = self.row_count - len(self.rows)
            plural = "s" if self.row_count > 1 else ""
            where.append(f"{self.row_word}{plural} {shown}" + (f" (and {more} more)" if more > 0 else ""))
        text = ", ".join(where) + f": {self.message}"
        if self.values:
            text += " (found " + ", ".join(repr(v) for v in self.values) + ")"
        return text


class DataValidationError(CibleError):
    """The data folder breaks the contract; ``problems`` lists every breach found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the data:\n{lines}")


@dataclass
class _Finding:
    """One check's breaches so far, over the batches of a table: what a :class:`Problem` shows."""

    message: str
    column: str | None
    rows: list[int]
    count: int
    values: list[str] | None


@dataclass
class TableCheck:
    """Collects the problems of one table while it is being typed, batch by batch.

    Every batch runs the same checks in the same order, so the n-th check of a batch is the n-th of the
    table: its breaches are merged (first rows, count, first values) into one problem per check, listed
    in the order of the checks, exactly as if the table had been checked in one piece."""

    table: Table
    file: str
    row_offset: int  # added to the 0-based position to give the number a user sees
    row_word: str
    problems: list[Problem] = field(default_factory=list)
    base: int = 0  # position in the table of the current batch's first row
    _next: int = 0
    _found: dict[int, _Finding] = field(default_factory=dict)

    def start_batch(self, base: int) -> None:
        self.base, self._next = base, 0

    def reserve(self) -> int:
        """The place of a check made once the whole table is read (keys), among the per-batch ones."""
        slot, self._next = self._next, self._next + 1
        return slot

    def report(self, mask: np.ndarray | pd.Series, message: str, column: str | None, values=None) -> None:
        slot = self.reserve()
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        positions = np.flatnonzero(mask)
        shown = None if values is None else np.asarray(values, dtype=object)[positions]
        self.report_at(slot, positions + self.base, message, column, shown)

    def report_at(
        self, slot: int, positions: np.ndarray, message: str, column: str | None, values=None
    ) -> None:
        """Breaches at ``positions`` of the table (ascending), with their values if any are shown."""
        if len(positions) == 0:
            return
        found = self._found.setdefault(slot, _Finding(message, column, [], 0, None))
        found.rows.extend(int(p) + self.row_offset for p in positions[: MAX_ROWS_SHOWN - len(found.rows)])
        found.count += len(positions)
        if values is not None:
            shown = found.values if found.values is not None else []
            if len(shown) < MAX_VALUES_SHOWN:
                for value in pd.unique(pd.Series(np.asarray(values, dtype=object)).astype(str)):
                    if value not in shown and len(shown) < MAX_VALUES_SHOWN:
                        shown.append(value)
            found.values = shown

    def all_problems(self) -> list[Problem]:
        return self.problems + [
            Problem(
                file=self.file,
                column=f.column,
                message=f.message,
                rows=tuple(f.rows),
                row_count=f.count,
                values=tuple(f.values or ()),
                row_word=self.row_word,
            )
            for _, f in sorted(self._found.items())
        ]
