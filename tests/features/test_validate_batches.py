"""Checking a folder batch by batch (``cible data validate``, bounded memory) reports exactly what checking
each table in one piece reports: the same problems, rows, counts and values, in the same order, for
breaches that straddle batches (a key repeated far apart, an order split across batches), in Parquet
and CSV, and whatever the key hashes collide on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import validate
from features.io import read_raw, write_tables
from features.schema import TABLES
from features.validate import validate_folder

NOW = pd.Timestamp("2026-11-02 10:00")
BATCH = 997  # rows per batch here: every table but products spans several, none divides evenly


def _broken(source: Path) -> dict[str, pd.DataFrame]:
    """The small synthetic shop with breaches spread over the tables, far apart in each."""
    frames = {name: read_raw(source / f"{name}.parquet") for name in TABLES}
    customers = frames["customers"].astype({"birth_year": object})
    customers.loc[len(customers) - 2, "customer_id"] = customers.loc[1, "customer_id"]  # one id twice
    customers.loc[[3, 150, 151, 300], "birth_year"] = ["old", "1890.5", "2100", "n/a"]
    frames["customers"] = customers.astype({"birth_year": "str"})  # Parquet holds text, not a mix
    orders = frames["orders"]
    last = len(orders) - 5
    orders.loc[last, "order_id"] = orders.loc[2, "order_id"]  # a line of an early order far later
    orders.loc[[10, 1400, 2800], "quantity"] = 0
    frames["orders"] = orders
    events = frames["events"].astype({"device": object, "occurred_at": object})
    events.loc[len(events) - 1, "event_id"] = events.loc[5, "event_id"]
    events.loc[len(events) - 9, "event_id"] = events.loc[5, "event_id"]
    bad = np.arange(7, len(events), max(len(events) // 9, 1))[:9]
    events.loc[bad, "device"] = ["watch", "fridge", "car", "tv", "watch", "oven", "watch", "lamp", "car"]
    events.loc[200, "occurred_at"] = "2031-01-01 00:00:00"
    events.loc[201, "sku"] = "NO-SUCH-SKU"
    frames["events"] = events.astype({"occurred_at": "str"})
    contacts = frames["contacts"].astype({"converted_order_id": object})
    contacts.loc[[4, len(contacts) - 3], "converted_order_id"] = "O-404"
    frames["contacts"] = contacts
    return frames


def _texts(problems) -> list[str]:
    return [str(p) for p in problems]


@pytest.fixture(scope="module")
def broken_folders(small_synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    frames = _broken(small_synthetic_dir)
    folders = {fmt: tmp_path_factory.mktemp(f"broken_{fmt}") for fmt in ("parquet", "csv")}
    for fmt, folder in folders.items():
        write_tables(frames, folder, fmt=fmt)
    return folders


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_batches_report_what_whole_tables_report(
    broken_folders: dict[str, Path], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = broken_folders[fmt]
    whole, typed = validate_folder(folder, now=NOW, keep_frames=True)
    monkeypatch.setattr(validate, "BATCH_ROWS", BATCH)
    batched, counted = validate_folder(folder, now=NOW, keep_frames=False)
    assert _texts(batched) == _texts(whole)
    assert {name: len(frame) for name, frame in counted.items()} == {n: len(f) for n, f in typed.items()}

    text = "\n".join(_texts(batched))
    events, word, first = typed["events"], ("line" if fmt == "csv" else "row"), (2 if fmt == "csv" else 1)
    assert len(events) > 20 * BATCH  # the breaches below are many batches apart
    far, farther = len(events) - 9 + first, len(events) - 1 + first
    assert f"column 'event_id', {word}s {5 + first}, {far}, {farther}: duplicate key (event_id)" in text
    assert "column 'device', " in text and "(and 4 more): unknown value" in text  # 9 rows, 5 shown
    assert "(found 'watch', 'fridge', 'car')" in text  # the first three distinct values
    assert "lines of one order_id disagree on ordered_at" in text
    zero = f"column 'quantity', {word}s {10 + first}, {1400 + first}, {2800 + first}: value must not be zero"
    assert zero in text  # rows numbered in the table, not in their batch
    assert "refers to a order_id absent from orders (found 'O-404')" in text


def test_colliding_hashes_report_no_false_duplicate(
    broken_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashes only point at rows to look at again: with every key and group hash equal, the answer is the
    same. (A group's values keep their own hashes: two values of one order hashing alike is the one case
    hashes could miss, a chance of about 1e-19 per pair.)"""
    folder = broken_folders["parquet"]
    honest, _ = validate_folder(folder, now=NOW, keep_frames=False)
    real = validate.row_hashes

    def colliding(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
        if frame.columns[0] == "order_id" and columns in ([c] for c in TABLES["orders"].same_within_group):
            return real(frame, columns)
        return np.zeros(len(frame), dtype=np.uint64)

    monkeypatch.setattr(validate, "BATCH_ROWS", BATCH)
    monkeypatch.setattr(validate, "row_hashes", colliding)
    colliding, _ = validate_folder(folder, now=NOW, keep_frames=False)
    assert _texts(colliding) == _texts(honest)


def test_text_hashes_alike_whichever_way_a_batch_is_hashed() -> None:
    """Ids are hashed value by value and text with few values through its dictionary: a column may go
    either way from one batch to the next, so both must give every value, empty included, one hash."""
    ids = pd.Series([f"C{i}" for i in range(5000)] + [None, "C7"], dtype="str")
    few = pd.Series(["C7", None, "C8"] * 2000, dtype="str")
    by_value = dict(zip(ids.fillna("<empty>"), validate.row_hashes(ids.to_frame("c"), ["c"]), strict=True))
    by_dictionary = validate.row_hashes(few.to_frame("c"), ["c"])
    assert [by_value[v] for v in few.fillna("<empty>")] == list(by_dictionary)
