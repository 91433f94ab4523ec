"""Campaign results and KPIs put together from customer partitions' shares equal those of the whole data
set, also when a partition holds contacts of a campaign whose assignments are all in another partition
(the campaign is measured on its assignments only, as in one piece)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.campaigns.kpis import channel_kpis
from features.campaigns.partitioned import CampaignShares
from features.campaigns.results import campaign_results
from features.customer_partitions import partition_of
from features.dataset import Dataset

KEYS = [c.CHANNEL, "segment", "month"]
PARTS = 4


def _partitions(whole: Dataset, parts: int) -> list[Dataset]:
    ids = whole.customers[c.CUSTOMER_ID]
    part = pd.Series(partition_of(ids.to_numpy(), parts), index=ids.to_numpy())
    out = []
    for k in range(parts):
        frames = {}
        for name, frame in whole.frames().items():
            if name == "products":
                frames[name] = frame
                continue
            owner = frame[c.CUSTOMER_ID].map(part)
            mine = (owner == k) | (owner.isna() & (k == 0))  # guests' rows: the first partition
            frames[name] = frame[mine.to_numpy()].reset_index(drop=True)
        out.append(Dataset.from_frames(frames))
    return out


def test_shares_put_together_are_the_whole_results_and_kpis(small_synthetic: Dataset) -> None:
    frames = small_synthetic.frames()
    as_of = small_synthetic.default_as_of()
    # a contact of an assigned campaign sent to a customer it did not assign, in a partition holding
    # none of its assignments: not part of its pick
    assigned = frames["assignments"]
    campaign = assigned[c.CAMPAIGN_ID].iloc[0]
    outsider = sorted(set(frames["customers"][c.CUSTOMER_ID]) - set(assigned[c.CUSTOMER_ID]))[0]
    theirs = partition_of(np.array([outsider], dtype=object), PARTS)[0]
    same_part = partition_of(assigned[c.CUSTOMER_ID].to_numpy(), PARTS) == theirs
    frames["assignments"] = assigned[~(same_part & (assigned[c.CAMPAIGN_ID] == campaign).to_numpy())]
    stray = (
        frames["contacts"]
        .iloc[[0]]
        .assign(**{c.CAMPAIGN_ID: campaign, c.CUSTOMER_ID: outsider, c.CONTACT_ID: "K-stray"})
    )
    frames["contacts"] = pd.concat([frames["contacts"], stray], ignore_index=True)
    whole = Dataset.from_frames(frames)
    since = as_of - pd.DateOffset(months=6)
    memberships = pd.DataFrame(
        {
            c.CUSTOMER_ID: frames["customers"][c.CUSTOMER_ID],
            "segment": np.where(np.arange(1500) % 3, "a", "b"),
        }
    )
    shares = CampaignShares(as_of, since, KEYS, memberships)
    for part in _partitions(whole, PARTS):
        shares.add(part)
    results, kpis = shares.results()
    expected = campaign_results(whole, as_of)
    assert results[c.CAMPAIGN_ID].tolist() == expected[c.CAMPAIGN_ID].tolist()
    pd.testing.assert_frame_equal(results, expected, check_exact=False, rtol=1e-9, atol=1e-9)
    assert kpis is not None
    expected_kpis = channel_kpis(whole, since, as_of, by=KEYS, memberships=memberships)
    pd.testing.assert_frame_equal(kpis, expected_kpis, check_exact=False, rtol=1e-9, atol=1e-9)
    assert expected["has_control"].any() and (~expected["has_control"].astype(bool)).any()
    assert expected_kpis["incremental_conversions"].notna().any()
