"""GET /campaigns/{id}/results: the materialised results, for CRM keys only, 404 for an unknown campaign."""

from __future__ import annotations

import pandas as pd
import pytest
from starlette.testclient import TestClient

from features import columns as c
from features.campaigns.results import campaign_results
from tests.serving.conftest import Served


def test_campaign_results_as_materialised(client: TestClient, served_home: Served) -> None:
    expected = campaign_results(served_home.dataset, served_home.as_of).set_index(c.CAMPAIGN_ID)
    measured = expected[expected["has_control"]].index[0]
    body = client.get(f"/campaigns/{measured}/results", headers=served_home.headers("crm")).json()
    row = expected.loc[measured]
    assert body["campaign_id"] == measured and body["has_control"] is True
    assert (body["treated"], body["control"]) == (row["treated"], row["control"])
    for key in ("incremental_conversion_rate", "incremental_margin_low", "net_incremental_margin"):
        assert body[key] == pytest.approx(row[key])
    assert pd.Timestamp(body["window_start"]) == row["window_start"]

    unmeasured = expected[~expected["has_control"]].index[0]
    body = client.get(f"/campaigns/{unmeasured}/results", headers=served_home.headers("crm")).json()
    assert body["incremental_conversion_rate"] is None and "no control group" in body["note"]


def test_unknown_campaign_and_wrong_scope(client: TestClient, served_home: Served) -> None:
    missing = client.get("/campaigns/nope/results", headers=served_home.headers("crm"))
    assert missing.status_code == 404 and "no results for campaign 'nope'" in missing.json()["error"]
    assert client.get("/campaigns/nope/results", headers=served_home.headers("site")).status_code == 403
    assert client.get("/campaigns/nope/results").status_code == 401
