"""The validator names the file, column, rows and values of every breach, and accepts good data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.io import write_tables
from features.load import load_dataset
from features.validate import validate_folder, validate_frames
from features.validation_problems import DataValidationError
from tests.tiny_data import tiny_frames

NOW = pd.Timestamp("2025-01-01")


def messages(frames) -> list[str]:
    problems, _ = validate_frames(frames, now=NOW)
    return [str(p) for p in problems]


def test_tiny_data_is_valid() -> None:
    problems, typed = validate_frames(tiny_frames(), now=NOW)
    assert problems == []
    assert typed["orders"]["quantity"].tolist() == [2, 1, 1, 3, 1, -1, 1, 1, 1]
    assert typed["consents"]["granted"].dtype == bool


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "expected"),
    [
        ("orders", 2, "unit_price", -3.0, "orders, column 'unit_price', row 3: value below the minimum of 0"),
        ("orders", 3, "quantity", 0, "orders, column 'quantity', row 4: value must not be zero"),
        ("orders", 0, "discount", 1.5, "value above the maximum of 1"),
        ("orders", 7, "sku", "NOPE", "orders, column 'sku', row 8: refers to a sku absent from products"),
        ("orders", 7, "customer_id", "C9", "column 'customer_id', row 8: refers to a customer_id absent"),
        ("events", 0, "type", "click", "events, column 'type', row 1: unknown value; expected one of"),
        ("events", 1, "occurred_at", "2031-01-01", "timestamp in the future"),
        (
            "events",
            1,
            "occurred_at",
            "not a date",
            "events, column 'occurred_at', row 2: not a valid timestamp",
        ),
        ("customers", 1, "birth_year", "nineteen", "not a valid whole number"),
        (
            "customers",
            0,
            "region",
            None,
            "customers, column 'region', row 1: empty value in a required column",
        ),
        ("products", 0, "unit_margin", 11.0, "margin larger than the price"),
        ("consents", 0, "proof", None, "consents, column 'proof', row 1: consent granted without proof"),
        ("contacts", 0, "opened_at", "2024-01-01", "earlier than 'sent_at' of the same row"),
        ("contacts", 2, "converted_order_id", "O404", "refers to a order_id absent from orders"),
    ],
)
def test_each_breach_is_reported_with_its_place(table, row, column, value, expected) -> None:
    frames = tiny_frames()
    frame = frames[table].astype({column: object})
    frame.loc[row, column] = value
    frames[table] = frame
    found = messages(frames)
    assert any(expected in m for m in found), found
    if value is not None:
        assert any(repr(str(value)) in m or repr(value) in m for m in found), found


def test_duplicate_keys_and_split_orders_are_reported() -> None:
    frames = tiny_frames()
    frames["orders"].loc[4, ["sku", "channel"]] = ["P2", "store"]
    found = messages(frames)
    assert any("rows 4, 5: duplicate key (order_id + sku)" in m for m in found), found
    assert any("lines of one order_id disagree on channel" in m for m in found), found


def test_missing_required_column_and_table() -> None:
    frames = tiny_frames()
    frames["customers"] = frames["customers"].drop(columns=["region"])
    del frames["products"]
    found = messages(frames)
    assert "customers, column 'region': required column is missing" in found
    assert "products: the required table 'products' is missing" in found


def test_optional_tables_may_be_absent() -> None:
    frames = tiny_frames()
    for name in ("events", "contacts", "consents"):
        del frames[name]
    assert messages(frames) == []


def test_csv_problems_point_at_file_lines(tmp_path: Path) -> None:
    frames = tiny_frames()
    frames["orders"] = frames["orders"].astype({"unit_price": object})
    frames["orders"].loc[[2, 5], "unit_price"] = ["abc", "-1"]
    write_tables(frames, tmp_path, fmt="csv")
    problems, _ = validate_folder(tmp_path, now=NOW)
    text = [str(p) for p in problems]
    assert any(
        t.startswith(f"{tmp_path / 'orders.csv'}, column 'unit_price', line 4: not a valid number")
        for t in text
    )
    assert any("line 7: value below the minimum of 0 (found '-1')" in t for t in text), text


def test_load_refuses_a_bad_folder_with_every_problem(tmp_path: Path) -> None:
    frames = tiny_frames()
    frames["orders"].loc[6, "channel"] = "fax"  # O4 has a single line
    frames["events"].loc[0, "device"] = "watch"
    write_tables(frames, tmp_path, fmt="parquet")
    with pytest.raises(DataValidationError) as caught:
        load_dataset(tmp_path, now=NOW)
    assert len(caught.value.problems) == 2
    assert "'fax'" in str(caught.value) and "'watch'" in str(caught.value)


def test_load_round_trips_csv_and_parquet(tmp_path: Path) -> None:
    for fmt in ("csv", "parquet"):
        write_tables(tiny_frames(), tmp_path / fmt, fmt=fmt)
    from_csv = load_dataset(tmp_path / "csv", now=NOW)
    from_parquet = load_dataset(tmp_path / "parquet", now=NOW)
    for name, frame in from_csv.frames().items():
        pd.testing.assert_frame_equal(frame, from_parquet.frames()[name], check_dtype=True)
