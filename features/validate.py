"""Validation of a data folder against the contract, reporting every problem in plain words.

Each problem names the file, the column, the rows (CSV: the line in the file, header = line 1; Parquet:
the 1-based row) and the offending values, so a data engineer can go straight to the cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.arrays import isin
from features.dataset import DATETIME_DTYPE, pandas_dtype
from features.errors import CibleError
from features.io import find_table_file, is_csv, read_raw
from features.schema import OPTIONAL_TABLES, TABLES, Column, Kind, Table

MAX_ROWS_SHOWN = 5
MAX_VALUES_SHOWN = 3
RawTables = dict[str, pd.DataFrame | None]
TypedTables = dict[str, pd.DataFrame]
TRUE_WORDS = frozenset({"true", "t", "1", "yes", "y"})
FALSE_WORDS = frozenset({"false", "f", "0", "no", "n"})


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
class _TableCheck:
    """Collects the problems of one table while it is being typed."""

    table: Table
    file: str
    row_offset: int  # added to the 0-based position to give the number a user sees
    row_word: str
    problems: list[Problem] = field(default_factory=list)

    def report(self, mask: np.ndarray | pd.Series, message: str, column: str | None, values=None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        positions = np.flatnonzero(mask)
        shown_values: tuple[str, ...] = ()
        if values is not None:
            uniques = pd.unique(pd.Series(np.asarray(values, dtype=object)[positions]).astype(str))
            shown_values = tuple(uniques[:MAX_VALUES_SHOWN])
        self.problems.append(
            Problem(
                file=self.file,
                column=column,
                message=message,
                rows=tuple(int(p) + self.row_offset for p in positions[:MAX_ROWS_SHOWN]),
                row_count=len(positions),
                values=shown_values,
                row_word=self.row_word,
            )
        )


def _parse_bool(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean"), np.zeros(len(raw), dtype=bool)
    words = raw.astype("str").str.strip().str.lower()
    is_true = words.isin(TRUE_WORDS).to_numpy()
    is_false = words.isin(FALSE_WORDS).to_numpy()
    present = raw.notna().to_numpy()
    parsed = pd.Series(pd.array(np.where(is_true, True, False), dtype="boolean"), index=raw.index)
    parsed[~(is_true | is_false)] = pd.NA
    return parsed, present & ~(is_true | is_false)


def _parse(col: Column, raw: pd.Series) -> tuple[pd.Series, np.ndarray, str]:
    """Parse one column; return the parsed values, the mask of cells that did not parse, and a noun."""
    present = raw.notna().to_numpy()
    if col.kind is Kind.STRING:
        text = raw.astype("str").where(raw.notna())
        return text, np.zeros(len(raw), dtype=bool), "text"
    if col.kind is Kind.BOOL:
        parsed, bad = _parse_bool(raw)
        return parsed, bad, "true/false value"
    if col.kind is Kind.DATETIME:
        if pd.api.types.is_datetime64_any_dtype(raw):
            parsed = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        else:
            parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        parsed = parsed.astype(DATETIME_DTYPE)
        return parsed, present & parsed.isna().to_numpy(), "timestamp"
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = present & numbers.isna().to_numpy()
    if col.kind is Kind.INT:
        fractional = (
            numbers.notna().to_numpy() & (np.floor(numbers.fillna(0)) != numbers.fillna(0)).to_numpy()
        )
        numbers = numbers.where(~fractional)
        return numbers.astype("Int64"), bad | fractional, "whole number"
    return numbers.astype("float64"), bad, "number"


def _check_values(check: _TableCheck, col: Column, parsed: pd.Series, raw: pd.Series, now) -> None:
    name = col.name
    valid = parsed.notna().to_numpy()
    if col.allowed is not None:
        unknown = valid & ~isin(parsed, col.allowed)
        check.report(unknown, f"unknown value; expected one of {', '.join(col.allowed)}", name, raw)
    if col.min_value is not None:
        check.report(
            valid & (parsed < col.min_value).fillna(False).to_numpy(),
            f"value below the minimum of {col.min_value:g}",
            name,
            raw,
        )
    if col.max_value is not None:
        check.report(
            valid & (parsed > col.max_value).fillna(False).to_numpy(),
            f"value above the maximum of {col.max_value:g}",
            name,
            raw,
        )
    if col.nonzero:
        check.report(valid & (parsed == 0).fillna(False).to_numpy(), "value must not be zero", name, raw)
    if col.kind is Kind.DATETIME and now is not None:
        check.report(valid & (parsed > now).to_numpy(), f"timestamp in the future (after {now})", name, raw)


def _type_table(check: _TableCheck, raw: pd.DataFrame, now: pd.Timestamp | None) -> pd.DataFrame | None:
    table = check.table
    missing = [name for name in table.column_names if name not in raw.columns]
    if missing:
        nullable_missing = [m for m in missing if table.column(m).nullable]
        required_missing = [m for m in missing if not table.column(m).nullable]
        for name in required_missing:
            check.problems.append(Problem(check.file, "required column is missing", column=name))
        if required_missing:
            return None
        raw = raw.assign(**{m: pd.Series(pd.NA, index=raw.index, dtype=object) for m in nullable_missing})
    typed: dict[str, pd.Series] = {}
    for col in table.columns:
        values = raw[col.name]
        parsed, bad, noun = _parse(col, values)
        check.report(bad, f"not a valid {noun}", col.name, values)
        if not col.nullable:
            check.report(values.isna().to_numpy(), "empty value in a required column", col.name)
        _check_values(check, col, parsed, values, now)
        typed[col.name] = parsed
    frame = pd.DataFrame(typed, index=raw.index)
    for col in table.columns:
        if col.not_before:
            early = (frame[col.name] < frame[col.not_before]).fillna(False).to_numpy()
            check.report(early, f"earlier than '{col.not_before}' of the same row", col.name, raw[col.name])
    return frame


def _check_keys(check: _TableCheck, frame: pd.DataFrame) -> None:
    key = list(check.table.key)
    dup = frame.duplicated(key, keep=False).to_numpy()
    label = " + ".join(key)
    if dup.any():
        # Labels are built for the duplicated rows only: joining text on every row is slow.
        values = np.empty(len(frame), dtype=object)
        values[dup] = frame.loc[dup, key].astype(str).agg(" / ".join, axis=1).to_numpy()
        check.report(dup, f"duplicate key ({label}): each must appear once", label, values)
    table = check.table
    if table.group_key:
        for col in table.same_within_group:
            pairs = frame[[table.group_key, col]].drop_duplicates()
            counts = pairs[table.group_key].value_counts(dropna=False)
            split = frame[table.group_key].isin(counts.index[counts > 1]).to_numpy()
            check.report(split, f"lines of one {table.group_key} disagree on {col}", col, frame[col])


def _rule_checks(check: _TableCheck, frame: pd.DataFrame, now: pd.Timestamp | None) -> None:
    """Cross-column rules of the contract that are not a property of one column."""
    name = check.table.name
    if name == "products":
        above = (frame[c.UNIT_MARGIN] > frame[c.UNIT_PRICE]).fillna(False).to_numpy()
        check.report(above, "margin larger than the price", c.UNIT_MARGIN, frame[c.UNIT_MARGIN])
    if name == "customers" and now is not None:
        future = (frame[c.BIRTH_YEAR] > now.year).fillna(False).to_numpy()
        check.report(future, "birth year in the future", c.BIRTH_YEAR, frame[c.BIRTH_YEAR])
    if name == "consents":
        unproven = frame[c.GRANTED].fillna(False).to_numpy(dtype=bool) & frame[c.PROOF].isna().to_numpy()
        check.report(unproven, "consent granted without proof", c.PROOF)


def _check_references(check: _TableCheck, frame: pd.DataFrame, typed: dict[str, pd.DataFrame]) -> None:
    """Values of ``frame`` that refer to a key absent from an earlier (target) table of ``typed``."""
    for ref in check.table.references:
        target = typed.get(ref.table)
        if target is None:
            continue
        values = frame[ref.column]
        dangling = values.notna().to_numpy() & ~isin(values, target[ref.target_column])
        check.report(dangling, f"refers to a {ref.target_column} absent from {ref.table}", ref.column, values)


# Columns other tables refer to: all that is kept of a table once checked, when frames are not kept.
REFERENCED: dict[str, tuple[str, ...]] = {}
for _table in TABLES.values():
    for _ref in _table.references:
        REFERENCED[_ref.table] = tuple(dict.fromkeys((*REFERENCED.get(_ref.table, ()), _ref.target_column)))


def _present_rows(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({col.name: pandas_dtype(col.kind, col.nullable) for col in table.columns})


def validate_frames(
    raw_frames: RawTables,
    now: pd.Timestamp | None = None,
    files: dict[str, str] | None = None,
    row_numbering: dict[str, tuple[int, str]] | None = None,
) -> tuple[list[Problem], TypedTables]:
    """Type and check raw tables; return (problems, typed frames of the tables that could be typed).

    ``raw_frames`` may hold text (from CSV) or typed columns. ``None`` or an absent key means the table is
    absent: an error for customers, products and orders, an empty table for the others.
    """
    return _validate_tables(raw_frames.get, now, files or {}, row_numbering or {}, keep_frames=True)


def _validate_tables(
    raw_of: Callable[[str], pd.DataFrame | None],
    now: pd.Timestamp | None,
    files: dict[str, str],
    row_numbering: dict[str, tuple[int, str]],
    keep_frames: bool,
) -> tuple[list[Problem], TypedTables]:
    """One table at a time, in contract order (a referenced table comes before the tables referring to
    it), so that without ``keep_frames`` only one table and the referenced key columns are in memory."""
    problems: list[Problem] = []
    checks: dict[str, _TableCheck] = {}
    typed: dict[str, pd.DataFrame] = {}
    for name, table in TABLES.items():
        label = files.get(name, name)
        raw = raw_of(name)
        if raw is None:
            if name not in OPTIONAL_TABLES:
                problems.append(Problem(label, f"the required table '{name}' is missing"))
            continue
        offset, word = row_numbering.get(name, (1, "row"))
        check = _TableCheck(table, label, offset, word)
        checks[name] = check
        frame = _type_table(check, raw.reset_index(drop=True), now)
        del raw
        if frame is None:
            continue
        _check_keys(check, frame)
        _rule_checks(check, frame, now)
        _check_references(check, frame, typed)
        typed[name] = frame if keep_frames else frame[list(REFERENCED.get(name, ()))]
    for check in checks.values():
        problems.extend(check.problems)
    if problems or not keep_frames:
        return problems, typed
    return problems, {name: _present_rows(TABLES[name], frame) for name, frame in typed.items()}


def folder_files(folder: Path) -> tuple[dict[str, Path | None], dict[str, str], dict[str, tuple[int, str]]]:
    """Each table's file in ``folder`` (or None), its label in messages and its row numbering."""
    paths: dict[str, Path | None] = {}
    files: dict[str, str] = {}
    numbering: dict[str, tuple[int, str]] = {}
    for name in TABLES:
        path = find_table_file(folder, name)
        paths[name] = path
        files[name] = str(path) if path else str(folder / f"{name}.csv|parquet")
        # In a CSV the header is line 1, so data row i (0-based) is on line i + 2.
        numbering[name] = (2, "line") if path and is_csv(path) else (1, "row")
    return paths, files, numbering


def read_folder(
    folder: Path,
) -> tuple[dict[str, pd.DataFrame | None], dict[str, str], dict[str, tuple[int, str]]]:
    """Read every table file of ``folder`` as it is, with the labels and row numbering for messages."""
    paths, files, numbering = folder_files(folder)
    raw: RawTables = {name: read_raw(path) if path else None for name, path in paths.items()}
    return raw, files, numbering


def validate_folder(
    folder: Path, now: pd.Timestamp | None = None, keep_frames: bool = True
) -> tuple[list[Problem], dict[str, pd.DataFrame]]:
    """Problems of ``folder`` and its typed tables. Tables are read one at a time; with ``keep_frames``
    false only the referenced key columns of each checked table are kept (row counts stay right), so
    checking a folder needs the memory of its largest table, not of all of them."""
    if not folder.is_dir():
        return [Problem(str(folder), "data folder does not exist")], {}
    paths, files, numbering = folder_files(folder)

    def raw_of(name: str) -> pd.DataFrame | None:
        path = paths[name]
        return read_raw(path) if path else None

    return _validate_tables(raw_of, now, files, numbering, keep_frames)


def _already_typed(kind: Kind, series: pd.Series) -> bool:
    dtype = series.dtype
    if kind is Kind.DATETIME:
        return pd.api.types.is_datetime64_dtype(dtype) and getattr(series.dt, "tz", None) is None
    if kind is Kind.BOOL:
        return pd.api.types.is_bool_dtype(dtype)
    if kind in (Kind.INT, Kind.FLOAT):
        return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    return pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)


def typed_columns(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s contract columns parsed as the validator parses them (Parquet may hold text
    timestamps or 'true'/'false' words); columns already in their type are left as they are."""
    parsed = {}
    for name in frame.columns:
        if name in table.column_names:
            col = table.column(name)
            if not _already_typed(col.kind, frame[name]):
                parsed[name] = _parse(col, frame[name])[0]
    return frame.assign(**parsed) if parsed else frame
