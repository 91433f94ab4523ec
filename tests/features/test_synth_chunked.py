"""The synthetic retailer made in customer chunks: deterministic per seed and chunk size, ids unique across
chunks, the truth consistent with the tables, the contract valid, and one chunk the data set made in one
piece."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import app
from features import columns as c
from features.synth.chunked import chunk_sizes
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic
from features.synth.parts import PartWriter

CONFIG = SynthConfig(customers=900, months=6, seed=5)
CHUNK = 300


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def chunked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chunked")
    args = ["data", "synth", "--out", str(folder), "--customers", str(CONFIG.customers)]
    args += ["--months", str(CONFIG.months), "--seed", str(CONFIG.seed), "--chunk-customers", str(CHUNK)]
    done = CliRunner().invoke(app, args, env={"CIBLE_HOME": str(tmp_path_factory.mktemp("home"))})
    assert done.exit_code == 0, done.output
    assert "900 customers over 6 months" in done.output
    return folder


def test_chunk_sizes_split_evenly() -> None:
    assert chunk_sizes(900, 300) == [300, 300, 300]
    assert chunk_sizes(1000, 300) == [250, 250, 250, 250]
    assert chunk_sizes(20_000, 50_000) == [20_000]
    with pytest.raises(ValueError):
        chunk_sizes(10, 0)


def test_chunked_generation_is_deterministic(chunked: Path, tmp_path: Path) -> None:
    write_synthetic(CONFIG, tmp_path / "again", chunk_customers=CHUNK)
    assert digests(tmp_path / "again") == digests(chunked)
    assert len(digests(chunked)) == 13  # seven tables and six truth tables, one file each
    write_synthetic(CONFIG, tmp_path / "other", chunk_customers=450)
    assert digests(tmp_path / "other")["orders.parquet"] != digests(chunked)["orders.parquet"]


def test_one_chunk_is_the_data_set_made_in_one_piece(tmp_path: Path) -> None:
    small = SynthConfig(customers=300, months=6, seed=5)
    write_synthetic(small, tmp_path / "piece")
    write_synthetic(small, tmp_path / "chunk", chunk_customers=300)
    assert digests(tmp_path / "piece") == digests(tmp_path / "chunk")


def test_chunked_data_passes_cible_data_validate(chunked: Path, tmp_path: Path) -> None:
    done = CliRunner().invoke(
        app, ["data", "validate", str(chunked), "--now", "2026-12-01"], env={"CIBLE_HOME": str(tmp_path)}
    )
    assert done.exit_code == 0, done.output
    assert "valid" in done.output


def test_ids_are_unique_across_chunks_and_the_truth_matches(chunked: Path) -> None:
    def read(name: str) -> pd.DataFrame:
        return pd.read_parquet(chunked / f"{name}.parquet")

    customers, orders, events, contacts = read("customers"), read("orders"), read("events"), read("contacts")
    truth = {name: read(f"truth/{name}") for name in ("customers", "sessions", "orders", "assignments")}
    assert customers[c.CUSTOMER_ID].is_unique and len(customers) == CONFIG.customers
    assert customers[c.CUSTOMER_ID].str.len().nunique() == 1  # one width across chunks
    assert events[c.EVENT_ID].is_unique and contacts[c.CONTACT_ID].is_unique
    # An order id belongs to one customer: no two chunks issued the same one.
    assert (orders.groupby(c.ORDER_ID)[c.CUSTOMER_ID].nunique(dropna=False) == 1).all()
    assert (events.groupby(c.SESSION_ID)[c.VISITOR_ID].nunique() == 1).all()
    # A visitor id is one person: logged-in events of a visitor name one customer.
    logged = events.dropna(subset=[c.CUSTOMER_ID])
    assert (logged.groupby(c.VISITOR_ID)[c.CUSTOMER_ID].nunique() == 1).all()
    assert contacts[c.CONVERTED_ORDER_ID].dropna().isin(orders[c.ORDER_ID]).all()
    assert set(truth["customers"][c.CUSTOMER_ID]) == set(customers[c.CUSTOMER_ID])
    assert truth["sessions"][c.SESSION_ID].is_unique
    assert events[c.SESSION_ID].isin(truth["sessions"][c.SESSION_ID]).all()
    assert truth["sessions"][c.ORDER_ID].dropna().isin(orders[c.ORDER_ID]).all()
    sales = orders.loc[orders[c.QUANTITY] > 0, c.ORDER_ID]
    assert truth["orders"][c.ORDER_ID].is_unique and sales.isin(truth["orders"][c.ORDER_ID]).all()
    assignments = read("assignments")
    assert (truth["assignments"][c.CUSTOMER_ID].to_numpy() == assignments[c.CUSTOMER_ID].to_numpy()).all()


def test_a_failed_part_leaves_no_table_behind(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), PartWriter(tmp_path) as out:
        out.write({"orders": pd.DataFrame({"a": [1, 2]})})
        raise RuntimeError("a chunk failed")
    assert list(tmp_path.iterdir()) == []
