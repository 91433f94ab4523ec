"""Offer response models: P(accept) by LightGBM vs the acceptance-rate baselines, on the synthetic
contacts history (time split) and on the real UCI in-vehicle coupon survey.

    .venv/bin/python -m experiments.offers_response [--coupons ../shared/data/in_vehicle_coupon/...csv]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from experiments.recommend_common import write_section
from features.load import load_dataset
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic
from training.offers.in_vehicle import evaluate_coupons, load_coupons
from training.offers.response import evaluate_response

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_COUPONS = SHARED_DATA / "in_vehicle_coupon" / "in-vehicle-coupon-recommendation.csv"
COMMAND = ".venv/bin/python -m experiments.offers_response"
SYNTH = SynthConfig(customers=5000, months=18, seed=42)
HORIZON_DAYS = 90


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coupons", type=Path, default=DEFAULT_COUPONS, help="the in-vehicle coupon CSV")
    args = parser.parse_args()
    if not args.coupons.is_file():
        raise SystemExit(f"{args.coupons} is missing: see {SHARED_DATA / 'README.md'}")
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic(SYNTH, Path(tmp))
        dataset = load_dataset(Path(tmp))
    synth = evaluate_response(dataset, dataset.default_as_of(), HORIZON_DAYS)
    coupons = evaluate_coupons(load_coupons(args.coupons))
    text = "\n".join(
        [
            "## Offer response: P(accept | customer, offer, channel)",
            "",
            f"`{COMMAND}`",
            "",
            "| data | split | rows train / test | accepted | LightGBM AUC | baseline | baseline AUC |",
            "|---|---|---|---:|---:|---|---:|",
            f"| synthetic contacts ({SYNTH.customers:,} customers, {SYNTH.months} months, seed {SYNTH.seed}) "
            f"| test: offers of the last {HORIZON_DAYS} days; train: the {HORIZON_DAYS} days before "
            f"| {synth.train_contacts:,} / {synth.test_contacts:,} | {synth.test_acceptance_rate:.2%} "
            f"| {synth.model_auc:.4f} | offer x channel acceptance rate | {synth.baseline_auc:.4f} |",
            f"| UCI in-vehicle coupons | stratified 75/25 holdout, seed 7 (no timestamps) "
            f"| {coupons.train_rows:,} / {coupons.test_rows:,} | {coupons.acceptance_rate:.2%} "
            f"| {coupons.model_auc:.4f} | coupon-type acceptance rate | {coupons.baseline_auc:.4f} |",
        ]
    )
    print(text)
    write_section("offers", text)


if __name__ == "__main__":
    main()
