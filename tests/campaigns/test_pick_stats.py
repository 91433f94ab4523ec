"""Campaign results from the sufficient statistics of picks merged over partitions equal the results worked
out on the picks themselves (numpy means and variances, pandas modes) within 1e-9, counts, modes and
windows exactly: with margins of thousands of euros that differ by cents, a campaign whose assignments are
in one partition and contacts in others, a campaign without control, one-pick groups and tied modes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.campaigns.pick_stats import (
    CONVERTED,
    MARGIN,
    PRE_SPEND,
    REVENUE,
    PickStats,
    measured_picks,
    merged,
    pick_stats,
)
from features.campaigns.results import Z95, stats_results
from features.campaigns.windows import window_days

AS_OF = pd.Timestamp("2025-01-01")
PARTS = 4


def _picks(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def campaign(name: str, treated: int, control: int, channels: list[str], offers: list) -> pd.DataFrame:
        n = treated + control
        return pd.DataFrame(
            {
                c.CAMPAIGN_ID: name,
                c.ASSIGNED_AT: pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
                c.GROUP: ["treated"] * treated + ["control"] * control,
                c.CHANNEL: [channels[i % len(channels)] for i in range(n)],
                c.OFFER_ID: [offers[i % len(offers)] for i in range(n)],
                CONVERTED: rng.random(n) < 0.3,
                REVENUE: rng.gamma(2.0, 40.0, n),
                # thousands of euros differing by cents: sums of squares would lose the variance
                MARGIN: 4000.0 + rng.normal(0.0, 0.02, n),
                PRE_SPEND: rng.gamma(1.5, 60.0, n),
                "part": rng.integers(0, PARTS, n),
                "by_contact": False,
            }
        )

    frames = [
        campaign("BIG", 300, 60, ["email", "sms", "email"], ["CAT15_cheese", None]),
        campaign("TIES", 4, 4, ["sms", "email"], ["W10", "CAT15_wine"]),  # 4 sms, 4 email: email
        campaign("ONE_CONTROL", 9, 1, ["mail"], [None]),  # a one-pick control; no offer at all
        campaign("NO_CONTROL", 25, 0, ["push"], ["W10"]),
        campaign("ONE_PART", 40, 10, ["phone"], ["W10"]),
    ]
    picks = pd.concat(frames, ignore_index=True)
    picks.loc[picks[c.CAMPAIGN_ID] == "ONE_PART", "part"] = 0
    picks.loc[picks[c.CAMPAIGN_ID] == "NO_CONTROL", "by_contact"] = True  # contacts only, everywhere
    # ONE_PART's contacts in the partitions holding none of its assignments: not part of its pick
    strays = campaign("ONE_PART", 12, 0, ["email"], ["CAT15_cheese"]).assign(
        part=lambda f: 1 + np.arange(len(f)) % (PARTS - 1), by_contact=True
    )
    return pd.concat([picks, strays], ignore_index=True)


def _expected(picks: pd.DataFrame) -> pd.DataFrame:
    """The results worked out on the picks, one campaign at a time."""
    rows = []
    for key, pick in picks.groupby(c.CAMPAIGN_ID):
        t, k = pick[pick[c.GROUP] == "treated"], pick[pick[c.GROUP] != "treated"]
        channel = str(pick[c.CHANNEL].mode().iloc[0])
        offers = pick[c.OFFER_ID].dropna()
        row = {
            c.CAMPAIGN_ID: key,
            c.CHANNEL: channel,
            c.OFFER_ID: str(offers.mode().iloc[0]) if len(offers) else None,
            "window_start": pick[c.ASSIGNED_AT].min(),
            "window_end": pick[c.ASSIGNED_AT].max() + pd.Timedelta(days=window_days(channel)),
            "treated": len(t),
            "control": len(k),
        }
        measures = (
            (CONVERTED, 0, "incremental_conversion_rate", "control_conversion_rate"),
            (MARGIN, 1, "incremental_margin", "control_margin_per_customer"),
        )
        for column, ddof, incremental, control in measures:
            a, b = t[column].to_numpy(float), k[column].to_numpy(float)
            diff = np.mean(a) - np.mean(b) if len(b) else np.nan
            se = (
                np.sqrt(np.var(a, ddof=ddof) / len(a) + np.var(b, ddof=ddof) / len(b))
                if len(b) > ddof
                else np.nan
            )
            row[f"{incremental}_low"], row[f"{incremental}_high"] = diff - Z95 * se, diff + Z95 * se
            row[control] = np.mean(b) if len(b) else np.nan
        a, b = t[PRE_SPEND].to_numpy(), k[PRE_SPEND].to_numpy()
        pooled = np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2) if len(b) > 1 else np.nan
        row["pre_period_spend_smd"] = (np.mean(a) - np.mean(b)) / pooled if len(b) > 1 else np.nan
        row["treated_revenue_per_customer"] = np.mean(t[REVENUE])
        rows.append(row)
    return pd.DataFrame(rows).set_index(c.CAMPAIGN_ID)


def test_merged_statistics_give_the_results_of_the_picks() -> None:
    picks = _picks()
    shares = [
        pick_stats(part.drop(columns=["part", "by_contact"]), part["by_contact"].to_numpy())
        for _, part in picks.groupby("part")
    ]
    stats = merged(shares)
    assigned = set(picks.loc[~picks["by_contact"], c.CAMPAIGN_ID])
    stats = PickStats(measured_picks(stats.moments, assigned), measured_picks(stats.labels, assigned))
    got = stats_results(stats, AS_OF).set_index(c.CAMPAIGN_ID).sort_index()
    kept = picks[~(picks["by_contact"] & picks[c.CAMPAIGN_ID].isin(assigned))]
    expected = _expected(kept)

    exact = [c.CHANNEL, c.OFFER_ID, "window_start", "window_end", "treated", "control"]
    pd.testing.assert_frame_equal(got[exact], expected[exact], check_dtype=False)
    floats = [col for col in expected.columns if col not in exact]
    pd.testing.assert_frame_equal(
        got[floats], expected[floats], check_exact=False, rtol=1e-9, atol=1e-9, check_dtype=False
    )
    assert got.loc["TIES", c.CHANNEL] == "email" and got.loc["TIES", c.OFFER_ID] == "CAT15_wine"
    assert got.loc["ONE_PART", c.CHANNEL] == "phone" and got.loc["ONE_PART", "treated"] == 40
    assert pd.isna(got.loc["ONE_CONTROL", c.OFFER_ID])
    assert np.isnan(got.loc["ONE_CONTROL", "incremental_margin_low"])  # one control pick: no variance
    assert not np.isnan(got.loc["ONE_CONTROL", "incremental_conversion_rate_low"])  # p(1-p)/n: ddof 0
    assert not got.loc["NO_CONTROL", "has_control"] and "no control group" in got.loc["NO_CONTROL", "note"]
    # the margins' spread (cents on thousands of euros) is the picks' to 1e-9
    assert got.loc["BIG", "incremental_margin_high"] - got.loc["BIG", "incremental_margin_low"] > 0


def test_statistics_merged_in_any_order_are_the_same() -> None:
    picks = _picks(seed=9).drop(columns=["part"])
    flag = picks.pop("by_contact").to_numpy()
    whole = pick_stats(picks, flag)
    halves = merged([pick_stats(picks.iloc[1::2], flag[1::2]), pick_stats(picks.iloc[::2], flag[::2])])
    got, expected = stats_results(halves, AS_OF), stats_results(whole, AS_OF)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)
