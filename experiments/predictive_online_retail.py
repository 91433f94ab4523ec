"""Predictive candidates on UCI Online Retail: "buys again within 90 days" of a cutoff 90 days before the
end of the file.

The file runs from 2010-12-01 to 2011-09-09; ``as_of`` is the midnight after its last invoice, so the
validation cutoff is 90 days earlier and its 90-day window is the end of the file. Every candidate of
``cible train propensity`` runs on that split (training cutoffs whose label windows end by the validation
cutoff, calibration on one half of the customers, evaluation on the other), with the default settings
and with ``experiments/predictive_transactions.yaml``.

    .venv/bin/python -m experiments.predictive_online_retail [--file ../shared/data/online_retail/...csv.xz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.predictive_common import (
    BINARY_COLUMNS,
    SHARED_DATA,
    TRANSACTIONS_CONFIG,
    compare,
    configurations,
    log_results,
    section,
)
from features.dataset import Dataset
from features.importers.online_retail import import_online_retail
from training.predictive.rows import FeatureCache

DEFAULT_FILE = SHARED_DATA / "online_retail" / "online_retail_2010-12-01_2011-09-09.csv.xz"
HORIZON_DAYS = 90


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--file", type=Path, default=DEFAULT_FILE, help="the Online Retail CSV (.csv, .xz, .gz)"
    )
    args = parser.parse_args()
    if not args.file.is_file():
        raise SystemExit(f"{args.file} is missing: see {SHARED_DATA / 'README.md'}")
    dataset = Dataset.from_frames(import_online_retail(args.file).tables)
    as_of = dataset.default_as_of()
    cache = FeatureCache(dataset.before(as_of))
    sections = []
    for label, config in configurations({"propensity_horizon_days": HORIZON_DAYS}).items():
        comparison, seconds = compare(dataset, as_of, "propensity", config, cache)
        start = f"{comparison.cutoffs.validation:%Y-%m-%d}"
        title = f"Online Retail, buys again within {HORIZON_DAYS} days of {start}, {label} settings"
        printed = section(comparison, seconds, BINARY_COLUMNS)
        print(f"\n## {title}\n\n{printed}")
        sections.append((f"online_retail_{label}", comparison, printed))
    params = {"data": str(args.file), "as_of": str(as_of), "transactions_config": str(TRANSACTIONS_CONFIG)}
    log_results("online_retail", params, sections)


if __name__ == "__main__":
    main()
