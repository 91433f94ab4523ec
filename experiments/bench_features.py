"""Benchmark: point-in-time customer features for 100,000 customers x 24 months.

Prints the time of each stage and, for the RFM part, the ratio against `lifetimes`'
`summary_data_from_transaction_data` on the same order lines, measured in the same run.

    .venv/bin/python experiments/bench_features.py [--customers 100000] [--months 24]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from features import columns as c
from features.customer_features.build import build_customer_features
from features.customer_features.grouping import CustomerIndex
from features.customer_features.order_summary import summarise_orders
from features.customer_features.rfm import rfm_features
from features.dataset import line_amounts
from features.load import load_dataset
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {elapsed:8.2f} s")
    return result, elapsed


def cible_rfm(orders: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp) -> dict:
    index = CustomerIndex(pd.Index(customers[c.CUSTOMER_ID]))
    return rfm_features(summarise_orders(orders, index), index, as_of)


def lifetimes_rfm(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    lines = orders.loc[orders[c.CUSTOMER_ID].notna(), [c.CUSTOMER_ID, c.ORDERED_AT]].copy()
    lines["amount"] = line_amounts(orders)[orders[c.CUSTOMER_ID].notna().to_numpy()]
    return summary_data_from_transaction_data(
        lines, c.CUSTOMER_ID, c.ORDERED_AT, monetary_value_col="amount", observation_period_end=as_of
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    config = SynthConfig(customers=args.customers, months=args.months)
    as_of = config.end
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timed(f"generate {args.customers:,} x {args.months} months", write_synthetic, config, folder)
        dataset, _ = timed("load and validate", load_dataset, folder)
        print(
            f"  {len(dataset.customers):,} customers, {len(dataset.orders):,} order lines, "
            f"{len(dataset.events):,} events, {len(dataset.contacts):,} contacts"
        )
        frame, features_s = timed("build all customer features", build_customer_features, dataset, as_of)
        print(f"  {frame.shape[0]:,} rows x {frame.shape[1]} columns")
        past = dataset.before(as_of)
        _, ours = timed("RFM part: Cible", cible_rfm, past.orders, past.customers, as_of)
        _, theirs = timed(
            "RFM part: lifetimes summary_data_from_transaction_data", lifetimes_rfm, past.orders, as_of
        )
    print(f"\nfeatures for {args.customers:,} customers: {features_s:.1f} s (target < 60 s)")
    print(f"RFM: Cible is {theirs / ours:.1f}x faster than lifetimes on the same order lines")


if __name__ == "__main__":
    main()
