"""Right to rectification: a ledger of corrections to the ``customers`` table, applied at every load.

Why a ledger and not a rewrite of the customers file: the data folder is the retailer's export, re-imported
whenever their systems are exported again. A rewritten file would lose the correction at the next re-import
(the source system may still hold the wrong value), and the person's corrected address would silently
revert. A ledger in the Cible home, applied by every load like the erasure tombstones, survives any number
of re-imports; since every feature build, training run, score, export, list and materialisation starts
from a load, a correction reaches all of them at their next run without anything else changing.

Each entry remembers a salted hash of the value it replaced (never the wrong value itself), and applies
only while the source still holds that value: when the retailer's own system is later corrected, or the
person moves again and the source records it, the newer source value wins instead of an old correction.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from features import clock
from features import columns as c
from features.io import atomic_path, read_raw
from features.privacy.hashing import hash_id
from features.schema import CUSTOMERS, Table

# The validator's own parsing and checks, so a correction is held to exactly the contract a load applies.
from features.validate import _check_keys, _parse, _type_table
from features.validation_problems import DataValidationError, Problem, TableCheck

KEY_COLUMNS: tuple[str, ...] = CUSTOMERS.key
CORRECTABLE: tuple[str, ...] = tuple(name for name in CUSTOMERS.column_names if name not in KEY_COLUMNS)


def canonical_text(value: object) -> str:
    """One text per typed value, so a value read from the file and from a later load compare equal."""
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Correction:
    customer_id: str
    line: int  # where it is in the correction file, for messages
    values: dict[str, object]  # column -> typed new value (only the cells the file fills)


def read_corrections(path: Path, known_ids: pd.Series, now: pd.Timestamp) -> list[Correction]:
    """Parse and check a correction file against the contract; raise :class:`DataValidationError` naming
    the file, line and column of every problem.

    The file has ``customer_id`` and any non-key columns of ``customers``; an empty cell leaves that value
    unchanged, so one file can correct different columns for different people.
    """
    raw = read_raw(path)
    label = str(path)
    # As the validator numbers rows: in a CSV the header is line 1, so data row i (0-based) is line i + 2.
    offset, word = (2, "line") if path.name.endswith((".csv", ".csv.gz")) else (1, "row")
    problems: list[Problem] = []
    if c.CUSTOMER_ID not in raw.columns:
        problems.append(Problem(label, "required column is missing", column=c.CUSTOMER_ID))
    for name in raw.columns:
        if name in KEY_COLUMNS:
            continue
        if name not in CUSTOMERS.column_names:
            message = f"not a column of customers; correctable columns: {', '.join(CORRECTABLE)}"
            problems.append(Problem(label, message, column=name))
    given = [name for name in CORRECTABLE if name in raw.columns]
    if not given and c.CUSTOMER_ID in raw.columns:
        problems.append(Problem(label, f"no column to correct; use any of {', '.join(CORRECTABLE)}"))
    if problems:
        raise DataValidationError(problems)
    # The contract's own column checks (types, vocabularies, bounds, dates in the future), with every column
    # optional: an empty cell means "unchanged", not "empty".
    subset = Table(
        name="customers",
        description=CUSTOMERS.description,
        key=KEY_COLUMNS,
        columns=tuple(
            replace(col, nullable=col.name not in KEY_COLUMNS)
            for col in CUSTOMERS.columns
            if col.name in KEY_COLUMNS or col.name in given
        ),
    )
    check = TableCheck(subset, label, offset, word)
    frame = _type_table(check, raw.reset_index(drop=True), now)
    if frame is not None:
        _check_keys(check, frame)  # one line per person: two lines for one person would be ambiguous
        ids = frame[c.CUSTOMER_ID]
        check.report(ids.notna() & ~ids.isin(set(known_ids)), "unknown customer", c.CUSTOMER_ID, ids)
        if c.BIRTH_YEAR in frame:
            future = (frame[c.BIRTH_YEAR] > now.year).fillna(False).to_numpy()
            check.report(future, "birth year in the future", c.BIRTH_YEAR, frame[c.BIRTH_YEAR])
        empty = raw[given].reset_index(drop=True).isna().all(axis=1).to_numpy()
        check.report(empty, "no correction on this line", None)
    if problems := check.all_problems():
        raise DataValidationError(problems)
    assert frame is not None
    return [
        Correction(
            customer_id=str(frame.at[i, c.CUSTOMER_ID]),
            line=int(i) + check.row_offset,
            values={col: frame.at[i, col] for col in given if not pd.isna(frame.at[i, col])},
        )
        for i in frame.index
    ]


@dataclass(frozen=True)
class RectificationLedger:
    """``<home>/privacy/rectifications.jsonl``: one line per corrected person, applied in order."""

    path: Path

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def append(self, corrections: list[Correction], customers: pd.DataFrame, salt: str) -> None:
        """Record the corrections against the values ``customers`` (as loaded now) holds."""
        current = customers.set_index(c.CUSTOMER_ID)
        at = clock.now().isoformat(timespec="seconds")
        lines = []
        for fix in corrections:
            changes = {
                col: {
                    "value": canonical_text(value),
                    "replaces": hash_id(canonical_text(current.at[fix.customer_id, col]), salt),
                }
                for col, value in fix.values.items()
            }
            lines.append(json.dumps({"at": at, c.CUSTOMER_ID: fix.customer_id, "changes": changes}) + "\n")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, "".join(lines).encode())
        finally:
            os.close(fd)

    def forget(self, customer_id: str) -> int:
        """Drop a person's entries (erasure); return how many there were."""
        entries = self.entries()
        kept = [e for e in entries if e[c.CUSTOMER_ID] != customer_id]
        if len(kept) != len(entries):
            with atomic_path(self.path) as tmp:
                tmp.write_text("".join(json.dumps(e) + "\n" for e in kept))
        return len(entries) - len(kept)

    def apply(self, customers: pd.DataFrame, salt: str) -> pd.DataFrame:
        """``customers`` with every correction whose replaced value the source still holds."""
        entries = self.entries()
        if not entries:
            return customers
        position = pd.Index(customers[c.CUSTOMER_ID])
        columns: dict[str, list] = {}
        for entry in entries:
            row = position.get_indexer([entry[c.CUSTOMER_ID]])[0]
            if row < 0:  # erased, or gone from the source: nothing to correct
                continue
            for col, change in entry["changes"].items():
                values = columns.setdefault(col, customers[col].astype(object).tolist())
                if hash_id(canonical_text(values[row]), salt) == change["replaces"]:
                    values[row] = change["value"]
        if not columns:
            return customers
        out = customers.copy()
        for col, values in columns.items():
            text = pd.Series([canonical_text(v) or None for v in values], index=out.index, dtype=object)
            out[col] = _typed(col, text).astype(customers[col].dtype)
        return out


def _typed(column: str, text: pd.Series) -> pd.Series:
    """Text back to the contract's type of ``column`` (values were checked when the file was read)."""
    parsed, _, _ = _parse(CUSTOMERS.column(column), text)
    return parsed
