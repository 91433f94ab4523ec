"""Do the campaign results' 95% intervals cover the generator's true effect? Over many seeds.

For each seed, the synthetic retailer (``--customers`` x ``--months``) is generated in memory, every
campaign with a control group is measured (``features.campaigns.results``) and compared with its true
sample average effect on the conversion in its window, ``mean(converts_if_treated - converts_if_control)``
over the campaign's assignments (``truth/assignments``). Reported: the share of seeds whose largest
campaign (most assignments) is covered, and the share of all campaigns covered.

    .venv/bin/python -m experiments.campaigns_coverage [--seeds 100] [--customers 6000] [--months 6]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from features import columns as c
from features.campaigns.results import campaign_results
from features.dataset import Dataset
from features.synth.config import SynthConfig
from features.synth.generate import generate


def measured_vs_true(seed: int, customers: int, months: int) -> pd.DataFrame:
    result = generate(SynthConfig(customers=customers, months=months, seed=seed))
    data = Dataset.from_frames(result.tables)
    measured = campaign_results(data, pd.Timestamp(SynthConfig().end)).set_index(c.CAMPAIGN_ID)
    truth = result.truth["assignments"]
    ite = truth["converts_if_treated"].astype(int) - truth["converts_if_control"].astype(int)
    true = ite.groupby(truth[c.CAMPAIGN_ID]).mean().rename("true_effect")
    both = measured[measured["has_control"]].join(true, how="inner")
    low, high = both["incremental_conversion_rate_low"], both["incremental_conversion_rate_high"]
    return both.assign(covered=(low <= both["true_effect"]) & (both["true_effect"] <= high), seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--customers", type=int, default=6000)
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    start = time.perf_counter()
    frames = [measured_vs_true(seed, args.customers, args.months) for seed in range(1, args.seeds + 1)]
    rows = pd.concat(frames)
    largest = rows.assign(size=rows["treated"] + rows["control"]).sort_values("size").groupby("seed").tail(1)
    width = rows["incremental_conversion_rate_high"] - rows["incremental_conversion_rate_low"]
    took = time.perf_counter() - start
    print(f"{args.seeds} seeds x {args.customers:,} customers x {args.months} months, {took:.0f} s")
    print("| measure | value |\n|---|---|")
    covered = f"{largest['covered'].sum()} / {len(largest)}"
    print(f"| seeds whose largest campaign's 95% interval covers its true effect | {covered} |")
    print(f"| campaigns covered, all seeds | {rows['covered'].mean():.1%} of {len(rows):,} |")
    print(f"| median interval width (conversion points) | {width.median() * 100:.2f} |")
    print(f"| mean true effect (conversion points) | {rows['true_effect'].mean() * 100:+.2f} |")
    by_channel = rows.groupby(c.CHANNEL)["covered"].mean()
    print("| covered by channel | " + ", ".join(f"{ch} {v:.0%}" for ch, v in by_channel.items()) + " |")


if __name__ == "__main__":
    main()
