"""Materialisation fills the store with what the service needs; erasure empties it at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from cible.cli import app
from features import columns as c
from features.online_store.factory import open_store
from features.reports import churn_risk_report

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_materialize_then_erase(small_synthetic_dir, small_synthetic, settings) -> None:
    data = str(small_synthetic_dir)
    invoke("train", "segments", "--data", data)
    out = invoke("materialize", "--data", data)
    customers = len(small_synthetic.customers)
    assert f"{customers:,} customers" in out
    # the page's reports: KPIs by channel x segment x month, one profile per segment, the audience frame
    reports = settings.home / "reports"
    kpis = pd.read_parquet(reports / "kpis.parquet")
    assert {"channel", "segment", "month", "revenue", "incremental_conversions"} <= set(kpis.columns)
    assert kpis["revenue"].sum() > 0 and "web" in set(kpis["channel"])
    profiles = pd.read_parquet(reports / "segment_profiles.parquet")
    assert set(profiles["kind"]) == {"rfm_segment", "cluster_name", "value_tier"}
    assert profiles.groupby("kind")["customers"].sum().eq(customers).all()
    assert len(pd.read_parquet(reports / "audience_frame.parquet")) == customers
    assert pd.read_parquet(reports / "churn_risk.parquet").empty  # no churn champion: nobody is banded
    store = open_store(settings)
    cid = small_synthetic.customers["customer_id"].iloc[0]
    record = store.get(cid)
    # her purchases (orders with a bought line) counted by hand: `>= 0` passed even when materialize stored
    # another customer's features (a row misalignment) or features cut at the wrong date
    orders = small_synthetic.orders
    mine = orders[(orders["customer_id"] == cid) & (orders["quantity"] > 0)]
    assert record["features"]["n_orders"] == mine["order_id"].nunique() > 0
    assert record["features"]["region"] == small_synthetic.customers["region"].iloc[0]
    assert set(record["consent"]) == {
        "email_marketing",
        "sms_marketing",
        "phone_marketing",
        "retargeting_ads",
        "profiling",
    }
    assert record["scores"] is None  # no predictive champion trained in this test
    # sends reported to the service survive the next materialisation until the data holds them
    exported = str(small_synthetic.contacts["contact_id"].iloc[0])
    store.add_contacts(
        cid, {"K-after-export": "2026-11-20T10:00:00", exported: "2026-11-20T11:00:00"}, "2026-01-01"
    )
    invoke("materialize", "--data", data)
    assert store.get(cid)["reported_contacts"] == {"K-after-export": "2026-11-20T10:00:00"}
    store.close()
    assert "online store: removed" in invoke("privacy", "erase", cid)
    store = open_store(settings)
    assert store.get(cid) is None
    invoke("materialize", "--data", data)  # the tombstone keeps them out of the next one too
    assert store.get(cid) is None
    store.close()


def test_churn_risk_report_counts_banded_customers_per_segment() -> None:
    scored = {
        "a": {"scores": {"rfm_segment": "champions", "churn_risk_band": "low"}},
        "b": {"scores": {"rfm_segment": "champions", "churn_risk_band": "high"}},
        "c": {"scores": None},  # refused profiling: no scores, not counted
        "d": {"scores": {"rfm_segment": "lost", "churn_risk_band": "high"}},
        "e": {"scores": {"rfm_segment": "lost", "churn_risk_band": "prospect"}},  # never ordered: no risk
    }
    report = churn_risk_report(scored).set_index(["segment", "churn_risk_band"])["customers"]
    assert report.to_dict() == {
        ("champions", "low"): 1,
        ("champions", "medium"): 0,
        ("champions", "high"): 1,
        ("lost", "low"): 0,
        ("lost", "medium"): 0,
        ("lost", "high"): 1,
    }


def test_records_convert_columns_as_the_value_by_value_cleaning_does() -> None:
    """Plain numeric columns are converted a column at a time; nullable and other columns value by value:
    the records are the same, type for type (an Int64 must stay an int, a missing one None)."""
    from training.materialize import _clean, _rows

    frame = pd.DataFrame(
        {
            c.CUSTOMER_ID: ["a", "b", "c"],
            "x": [1.0, np.nan, 2.5],
            "f32": np.array([1.5, np.nan, 2.0], dtype="float32"),
            "i": np.array([1, 2, 3]),
            "b": [True, False, True],
            "s": ["u", None, "w"],
            "t": pd.to_datetime(["2026-01-01", None, "2026-02-01"]),
            "l": [["r1"], [], ["r2", "r3"]],
            "I": pd.array([1, None, 3], dtype="Int64"),
            "B": pd.array([True, None, False], dtype="boolean"),
        }
    )
    columns = [col for col in frame.columns if col != c.CUSTOMER_ID]
    rows = _rows(frame)
    for cid, values in zip(frame[c.CUSTOMER_ID], frame[columns].to_numpy(dtype=object), strict=True):
        expected = {col: _clean(v) for col, v in zip(columns, values, strict=True)}
        assert rows[cid] == expected
        assert [type(v) for v in rows[cid].values()] == [type(v) for v in expected.values()]
    assert rows["b"]["x"] is None and rows["b"]["I"] is None and rows["a"]["I"] == 1
