"""Segmentation on the default synthetic retailer: do the clusters recover the hidden customer types, and
do names survive a retrain with another seed?

    .venv/bin/python -m experiments.segments_synthetic [--customers 20000] [--months 24]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score

from features.load import load_dataset
from features.settings import Settings
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic
from training.segments.config import SegmentsConfig
from training.segments.train import train_segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        write_synthetic(SynthConfig(customers=args.customers, months=args.months), folder)
        os.environ["CIBLE_HOME"] = str(Path(tmp) / "home")
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        dataset = load_dataset(folder)
        as_of = dataset.default_as_of()
        start = time.perf_counter()
        first = train_segments(dataset, as_of, Settings.from_env(), SegmentsConfig(seed=0))
        elapsed = time.perf_counter() - start
        second = train_segments(dataset, as_of, Settings.from_env(), SegmentsConfig(seed=1))
        truth = pd.read_parquet(folder / "truth" / "customers.parquet")
    joined = first.memberships.merge(truth, on="customer_id")
    buyers = joined[joined["cluster_id"] >= 0]
    orders = dataset.before(as_of).orders.groupby("customer_id")["order_id"].nunique()
    established = buyers[buyers["customer_id"].map(orders).fillna(0) >= 2]
    print(f"{args.customers:,} customers x {args.months} months; segmentation run {elapsed:.1f} s")
    print(f"k = {int(first.metrics['k'])}, silhouette {first.metrics['silhouette']:.3f}")
    ari_all = adjusted_rand_score(buyers.customer_type, buyers.cluster_id)
    print(f"ARI vs hidden types, all buyers:            {ari_all:.3f}")
    print(
        "ARI vs hidden types, buyers with 2+ orders: "
        f"{adjusted_rand_score(established.customer_type, established.cluster_id):.3f}"
    )
    print(f"retrain with another seed: {second.metrics['stability_vs_champion']:.1%} keep their cluster name")
    print(pd.crosstab(buyers.customer_type, buyers.cluster_name).to_string())


if __name__ == "__main__":
    main()
