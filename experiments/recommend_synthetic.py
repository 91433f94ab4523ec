"""Recommender on a synthetic shop (5,000 customers, 18 months, seed 42): ranker vs baselines.

The data are generated into a temporary folder; the last 30 days are the test window, the ranker learns
on the 30-day windows before it. Only customers who granted `profiling` are scored, as in production.

    .venv/bin/python -m experiments.recommend_synthetic [--customers N] [--months M] [--seed S]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from experiments.recommend_common import compare, describe, write_section
from features.load import load_dataset
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic
from training.recommend.config import NboConfig
from training.recommend.split import Cutoffs

COMMAND = ".venv/bin/python -m experiments.recommend_synthetic"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    synth = SynthConfig(customers=args.customers, months=args.months, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic(synth, Path(tmp))
        dataset = load_dataset(Path(tmp))
    config = NboConfig()
    comparison = compare(dataset, Cutoffs.before(dataset.default_as_of(), config.horizon_days), config)
    title = f"## Synthetic shop ({args.customers:,} customers, {args.months} months, seed {args.seed})"
    text = f"{title}\n\n{describe(comparison, COMMAND)}"
    print(text)
    write_section("synthetic", text)


if __name__ == "__main__":
    main()
