"""KPIs by channel, segment and month on the tiny hand-written shop: every value worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.campaigns.kpis import KPI_COLUMNS, KpiGroupError, channel_kpis
from features.dataset import Dataset
from tests.campaigns.test_results import small_campaign
from tests.tiny_data import tiny_frames

SINCE, UNTIL = "2024-01-01", "2024-05-01"


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    return Dataset.from_frames(tiny_frames())


def _rows(frame: pd.DataFrame, *keys: str) -> dict:
    return {tuple(row[k] for k in keys): row for _, row in frame.iterrows()}


def test_kpis_by_channel_worked_out_by_hand(tiny: Dataset) -> None:
    kpis = channel_kpis(tiny, SINCE, UNTIL, by=("channel",))
    assert list(kpis.columns) == ["channel", *KPI_COLUMNS]
    rows = _rows(kpis, "channel")
    assert sorted(k[0] for k in rows) == ["email", "phone", "sms", "store", "web"]
    web = rows[("web",)]
    # O1 40 (margin 40 - 2x6 - 12 = 16), O3 65 (65 - 3x12 - 5 = 24), return R1 -20 (-20 + 12 = -8),
    # guest O5 10 (margin 4)
    assert (web["orders"], web["revenue"], web["margin"]) == (4, 95.0, 36.0)
    assert web["average_basket"] == pytest.approx(23.75) and web["average_margin"] == pytest.approx(9.0)
    assert web["active_customers"] == 1 and web["repeat_rate"] == 1.0  # C1 came back with O3
    assert web["account_openings"] == 1 and web["contacts"] == 0  # C1 opened on the web; C3 in June
    phone = rows[("phone",)]
    assert (phone["orders"], phone["revenue"], phone["margin"], phone["repeat_rate"]) == (1, 5.0, -1.0, 1.0)
    store = rows[("store",)]
    assert (store["orders"], store["revenue"], store["repeat_rate"], store["account_openings"]) == (
        1,
        50.0,
        0.0,  # C2's first order
        1,
    )
    email = rows[("email",)]
    assert (email["contacts"], email["opens"], email["clicks"], email["conversions"]) == (2, 2, 1, 1)
    assert email["orders"] == 0 and math.isnan(email["average_basket"])
    assert (rows[("sms",)]["contacts"], rows[("sms",)]["opens"]) == (1, 0)
    assert kpis["incremental_conversions"].isna().all()  # no control group measures them here


def test_kpis_by_channel_segment_and_month(tiny: Dataset) -> None:
    memberships = pd.DataFrame({"customer_id": ["C1", "C2"], "segment": ["loyal", "new"]})
    kpis = channel_kpis(tiny, SINCE, UNTIL, by=("channel", "segment", "month"), memberships=memberships)
    rows = _rows(kpis, "channel", "segment", "month")
    assert rows[("web", "loyal", "2024-01")]["revenue"] == 40.0
    assert rows[("web", "loyal", "2024-01")]["repeat_rate"] == 0.0  # first order ever
    assert rows[("web", "loyal", "2024-04")]["revenue"] == 45.0  # O3 and its return R1
    assert rows[("web", "unassigned", "2024-03")]["orders"] == 1  # the guest order
    assert rows[("web", "unassigned", "2024-03")]["active_customers"] == 0
    assert rows[("store", "new", "2024-03")]["account_openings"] == 1
    assert rows[("sms", "new", "2024-04")]["contacts"] == 1
    # the groups add up to the channel totals
    assert kpis.groupby("channel")["revenue"].sum().to_dict() == pytest.approx(
        channel_kpis(tiny, SINCE, UNTIL, by=("channel",)).set_index("channel")["revenue"].to_dict()
    )


def test_kpis_window_and_groups(tiny: Dataset) -> None:
    june = channel_kpis(tiny, "2024-06-01", None, by=("month",))
    assert june["month"].tolist() == ["2024-06"]
    assert (june["orders"].item(), june["revenue"].item(), june["account_openings"].item()) == (1, 20.0, 1)
    with pytest.raises(KpiGroupError, match="channel, segment, month"):
        channel_kpis(tiny, SINCE, UNTIL, by=("region",))


def test_cible_kpis_writes_what_the_function_computes(tmp_path, settings) -> None:
    from typer.testing import CliRunner

    from cible.cli import app
    from features.io import write_tables

    data = tmp_path / "data"
    write_tables(tiny_frames(), data)
    out = tmp_path / "kpis.csv"
    args = ["kpis", "--since", SINCE, "--until", UNTIL, "--by", "channel", "--data", str(data)]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert written.set_index("channel")["revenue"].to_dict() == {
        "email": 0.0,
        "phone": 5.0,
        "sms": 0.0,
        "store": 50.0,
        "web": 95.0,
    }
    refused = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "kpis.xlsx")])
    assert refused.exit_code != 0 and "csv" in str(refused.exception or refused.output)


def test_incremental_conversions_come_from_the_control_groups() -> None:
    # NL1 (e-mail, March 2024): treated convert 2/3, control 1/2, so 1/6 more per treated customer, x 3
    # treated = 0.5; SMS0 has no control group, so the SMS row measures nothing (NaN, not 0).
    kpis = channel_kpis(small_campaign(), "2024-01-01", "2024-04-01", by=("channel", "month"))
    by = kpis.set_index(["channel", "month"])["incremental_conversions"]
    assert by[("email", "2024-03")] == pytest.approx(0.5)
    assert np.isnan(by[("sms", "2024-02")])
    assert np.isnan(by[("web", "2024-03")])  # orders, no campaign
