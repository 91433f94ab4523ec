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
from features.io import find_table_file, is_csv, read_raw
from features.schema import OPTIONAL_TABLES, TABLES, Column, Kind, Reference, Table
from features.table_batches import TableSource, file_source, frame_source
from features.validate_keys import disagreeing_rows, duplicated_rows, repeated, row_hashes, split_groups
from features.validation_problems import Problem, TableCheck

RawTables = dict[str, pd.DataFrame | None]
TypedTables = dict[str, pd.DataFrame]
BatchSink = Callable[[str, pd.DataFrame], None]  # (table name, typed batch)
TRUE_WORDS = frozenset({"true", "t", "1", "yes", "y"})
FALSE_WORDS = frozenset({"false", "f", "0", "no", "n"})


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


def _check_values(check: TableCheck, col: Column, parsed: pd.Series, raw: pd.Series, now) -> None:
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


def _type_table(check: TableCheck, raw: pd.DataFrame, now: pd.Timestamp | None) -> pd.DataFrame | None:
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


def _check_keys(check: TableCheck, frame: pd.DataFrame) -> None:
    """Key and group rules over a frame held whole (a small file such as rectifications)."""
    table = check.table
    key = list(table.key)
    dup, labels = duplicated_rows(frame, key)
    values = np.empty(len(frame), dtype=object)
    values[dup] = labels
    label = " + ".join(key)
    check.report(dup, f"duplicate key ({label}): each must appear once", label, values)
    if table.group_key:
        for col in table.same_within_group:
            split = disagreeing_rows(frame, table.group_key, col)
            check.report(split, f"lines of one {table.group_key} disagree on {col}", col, frame[col])


def _rule_checks(check: TableCheck, frame: pd.DataFrame, now: pd.Timestamp | None) -> None:
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


def _collect_references(
    check: TableCheck, frame: pd.DataFrame, targets: dict[str, dict[str, pd.Series]], whole: _WholeTable
) -> None:
    """Each reference's place among the batch's checks, and the batch's distinct values: they are looked
    up in the target once the table is read (:func:`_check_references`), since a lookup hashes its whole
    target, and a target looked up by every batch costs batches x target size (at 1 M customers a
    third of the validation's time)."""
    whole.ref_slots = []
    for ref in check.table.references:
        if ref.table in targets:
            whole.ref_slots.append((check.reserve(), ref))
            whole.seen(ref.column, frame[ref.column])


def _check_references(
    check: TableCheck, source: TableSource, targets: dict[str, dict[str, pd.Series]], whole: _WholeTable
) -> None:
    """Values that refer to a key absent from an earlier (target) table: the distinct values checked at
    once, and the rows holding those absent (seldom any) found by reading the column again."""
    for slot, ref in whole.ref_slots:
        distinct = whole.distinct(ref.column)
        absent = distinct[~isin(distinct, targets[ref.table][ref.target_column])]
        if not len(absent):
            continue
        message = f"refers to a {ref.target_column} absent from {ref.table}"
        base = 0
        for raw in source.batches([ref.column]):
            values = _typed_subset(check.table, raw, [ref.column])[ref.column]
            dangling = np.flatnonzero(isin(values, absent))
            check.report_at(
                slot, dangling + base, message, ref.column, values.to_numpy(dtype=object)[dangling]
            )
            base += len(raw)


# Columns other tables refer to: all that is kept of a table once checked (their distinct values).
REFERENCED: dict[str, tuple[str, ...]] = {}
for _table in TABLES.values():
    for _ref in _table.references:
        REFERENCED[_ref.table] = tuple(dict.fromkeys((*REFERENCED.get(_ref.table, ()), _ref.target_column)))

# rows per batch when a folder is checked without keeping its tables: ~100-200 MB of typed events
BATCH_ROWS = 262_144


def _present_rows(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({col.name: pandas_dtype(col.kind, col.nullable) for col in table.columns})


@dataclass
class _WholeTable:
    """What the checks over all rows of a table need, gathered batch by batch: hashes, not values."""

    keys: list[np.ndarray] = field(default_factory=list)
    groups: list[np.ndarray] = field(default_factory=list)
    values: dict[str, list[np.ndarray]] = field(default_factory=dict)
    referenced: dict[str, list[pd.Series]] = field(default_factory=dict)
    slots: list[int] = field(default_factory=list)  # the key check's place, then each group rule's
    ref_slots: list[tuple[int, Reference]] = field(default_factory=list)  # each checked reference's place
    ref_values: dict[str, list[pd.Series]] = field(default_factory=dict)

    def add(self, table: Table, frame: pd.DataFrame) -> None:
        self.keys.append(row_hashes(frame, list(table.key)))
        if table.group_key:
            self.groups.append(row_hashes(frame, [table.group_key]))
            for col in table.same_within_group:
                self.values.setdefault(col, []).append(row_hashes(frame, [col]))
        for col in REFERENCED.get(table.name, ()):
            self.referenced.setdefault(col, []).append(pd.Series(frame[col].dropna().unique()))

    def seen(self, column: str, values: pd.Series) -> None:
        """Remember ``values``' distinct ones; the list is merged as it grows (to about the distinct
        values' size), so that memory follows the distinct values, not the batches."""
        found = self.ref_values.setdefault(column, [])
        found.append(pd.Series(values.dropna().unique()))
        if len(found) > 1 and sum(len(part) for part in found[1:]) > max(len(found[0]), 1 << 20):
            self.ref_values[column] = [self.distinct(column)]

    def distinct(self, column: str) -> pd.Series:
        found = self.ref_values.get(column, [])
        if not found:
            return pd.Series([], dtype="str")
        return pd.Series(pd.unique(pd.concat(found, ignore_index=True))) if len(found) > 1 else found[0]


def _typed_subset(table: Table, raw: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Columns ``names`` of a raw batch, parsed as the checks parse them (absent nullable ones empty)."""
    typed = {}
    for name in names:
        values = raw[name] if name in raw.columns else pd.Series(pd.NA, index=raw.index, dtype=object)
        typed[name] = _parse(table.column(name), values)[0]
    return pd.DataFrame(typed, index=raw.index)


def _candidates(source: TableSource, table: Table, names: list[str], wanted: np.ndarray) -> pd.DataFrame:
    """The rows of ``wanted`` (a mask over the table), read again with ``names`` typed, by position."""
    parts, base = [], 0
    for raw in source.batches(names):
        rows = wanted[base : base + len(raw)]
        if rows.any():
            part = _typed_subset(table, raw.loc[rows].reset_index(drop=True), names)
            parts.append(part.set_index(pd.Index(np.flatnonzero(rows) + base)))
        base += len(raw)
    return pd.concat(parts) if parts else pd.DataFrame(columns=names)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The batches' hashes as one array, the parts freed at once (12 M events: 100 MB each copy)."""
    joined = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    parts.clear()
    return joined


def _check_whole_table(check: TableCheck, source: TableSource, whole: _WholeTable) -> None:
    """Duplicate keys and groups whose lines disagree: found on hashes, confirmed on the real values."""
    table = check.table
    key = list(table.key)
    dup_candidates = repeated(_joined(whole.keys))
    split: dict[str, np.ndarray] = {}
    if table.group_key:
        groups = _joined(whole.groups)
        split = split_groups(groups, {col: _joined(whole.values[col]) for col in table.same_within_group})
        del groups
    wanted = dup_candidates.copy()
    for mask in split.values():
        wanted |= mask
    if not wanted.any():
        return
    names = list(dict.fromkeys([*key, *([table.group_key] if table.group_key else []), *split]))
    rows_read = _candidates(source, table, [n for n in names if n in table.column_names], wanted)
    label = " + ".join(key)
    if dup_candidates.any():
        subset = rows_read.loc[dup_candidates[rows_read.index]]
        dup, labels = duplicated_rows(subset, key)
        message = f"duplicate key ({label}): each must appear once"
        check.report_at(whole.slots[0], subset.index.to_numpy()[dup], message, label, labels)
    for slot, (col, mask) in zip(whole.slots[1:], split.items(), strict=True):
        if mask.any():
            subset = rows_read.loc[mask[rows_read.index]]
            bad = disagreeing_rows(subset, str(table.group_key), col)
            values = np.asarray(subset[col], dtype=object)[bad]
            check.report_at(
                slot,
                subset.index.to_numpy()[bad],
                f"lines of one {table.group_key} disagree on {col}",
                col,
                values,
            )


def _check_table(
    check: TableCheck,
    source: TableSource,
    now: pd.Timestamp | None,
    targets: dict[str, dict[str, pd.Series]],
    keep_frame: bool,
    sink: BatchSink | None = None,
) -> tuple[pd.DataFrame | None, int]:
    """Type and check one table batch by batch; its typed frame if asked (None if it cannot be typed)
    and its number of rows. The distinct values other tables refer to go into ``targets``."""
    table = check.table
    missing = [col.name for col in table.columns if col.name not in source.columns and not col.nullable]
    if missing:
        for name in missing:
            check.problems.append(Problem(check.file, "required column is missing", column=name))
        return None, 0
    whole, parts, rows = _WholeTable(), [], 0
    for raw in source.batches(table.column_names):
        check.start_batch(rows)
        frame = _type_table(check, raw, now)
        assert frame is not None  # every required column is there
        whole.slots = [
            check.reserve() for _ in range(1 + (len(table.same_within_group) if table.group_key else 0))
        ]
        _rule_checks(check, frame, now)
        _collect_references(check, frame, targets, whole)
        whole.add(table, frame)
        if keep_frame:
            parts.append(frame)
        if sink is not None:
            sink(table.name, _present_rows(table, frame))
        rows += len(frame)
        del raw, frame
    _check_references(check, source, targets, whole)
    _check_whole_table(check, source, whole)
    targets[table.name] = {
        col: pd.Series(pd.unique(pd.concat(found, ignore_index=True)))
        for col, found in whole.referenced.items()
    }
    typed = None
    if keep_frame:
        typed = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return typed, rows


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

    def source_of(name: str) -> TableSource | None:
        frame = raw_frames.get(name)
        return frame_source(frame) if frame is not None else None

    return _validate_tables(source_of, now, files or {}, row_numbering or {}, keep_frames=True)


def _validate_tables(
    source_of: Callable[[str], TableSource | None],
    now: pd.Timestamp | None,
    files: dict[str, str],
    row_numbering: dict[str, tuple[int, str]],
    keep_frames: bool,
    sink: BatchSink | None = None,
) -> tuple[list[Problem], TypedTables]:
    """One table at a time, in contract order (a referenced table comes before the tables referring to
    it). Without ``keep_frames`` only a batch of one table, the hashes of its keys and the distinct
    referenced values are in memory, and the frames returned are empty ones of the right lengths."""
    problems: list[Problem] = []
    checks: dict[str, TableCheck] = {}
    typed: dict[str, pd.DataFrame] = {}
    targets: dict[str, dict[str, pd.Series]] = {}
    for name, table in TABLES.items():
        label = files.get(name, name)
        source = source_of(name)
        if source is None:
            if name not in OPTIONAL_TABLES:
                problems.append(Problem(label, f"the required table '{name}' is missing"))
            continue
        offset, word = row_numbering.get(name, (1, "row"))
        check = TableCheck(table, label, offset, word)
        checks[name] = check
        frame, rows = _check_table(check, source, now, targets, keep_frames, sink)
        if name not in targets:
            continue  # could not be typed: tables referring to it are not checked against it
        typed[name] = frame if frame is not None else pd.DataFrame(index=pd.RangeIndex(rows))
    for check in checks.values():
        problems.extend(check.all_problems())
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
    folder: Path, now: pd.Timestamp | None = None, keep_frames: bool = True, sink: BatchSink | None = None
) -> tuple[list[Problem], dict[str, pd.DataFrame]]:
    """Problems of ``folder`` and its typed tables. Tables are read one at a time; with ``keep_frames``
    false each is read in batches of :data:`BATCH_ROWS` rows and only its row count is kept, so checking
    a folder needs the memory of a batch and of the tables' keys as hashes, not of a table. ``sink``
    receives each typed batch (canonical dtypes) of each table as it is checked: a writer keeps the
    typed tables without holding them (their problems are known only at the end)."""
    if not folder.is_dir():
        return [Problem(str(folder), "data folder does not exist")], {}
    paths, files, numbering = folder_files(folder)
    batch_rows = None if keep_frames else BATCH_ROWS

    def source_of(name: str) -> TableSource | None:
        path = paths[name]
        return file_source(path, batch_rows) if path else None

    return _validate_tables(source_of, now, files, numbering, keep_frames, sink)


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
