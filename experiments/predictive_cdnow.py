"""Predictive candidates on CDNOW: "buys again within 13 and 39 weeks" after a calibration to 1997-09-30.

The classic split of Fader, Hardie & Lee (2005): histories up to 1997-09-30 (the validation cutoff is
1997-10-01), outcomes in the 13 or 39 weeks after. Every candidate of ``cible train propensity`` runs on the
same split: the recency rule, RFM codes, BG/NBD and MBG/NBD (fitted on the histories only), LightGBM on
the point-in-time features and LightGBM stacked on the BTYD predictions (trained on rolling cutoffs whose
label windows end by 1997-10-01), all calibrated on one half of the 23,570 customers and judged on the
other half. The BTYD rows also forecast the holdout's orders, compared with the actual count. Each
horizon is run with the default settings and with ``experiments/predictive_transactions.yaml`` (shallower
trees for transaction-only data).

    .venv/bin/python -m experiments.predictive_cdnow [--master ../shared/data/cdnow/CDNOW_master.txt]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from experiments.predictive_common import (
    BINARY_COLUMNS,
    SHARED_DATA,
    TRANSACTIONS_CONFIG,
    compare,
    configurations,
    log_results,
    section,
)
from features.btyd import cdnow_reference as ref
from features.dataset import Dataset
from features.importers.cdnow import import_cdnow
from training.predictive.rows import FeatureCache

DEFAULT_MASTER = SHARED_DATA / "cdnow" / "CDNOW_master.txt"
HORIZONS_WEEKS: tuple[int, ...] = (13, 39)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", type=Path, default=DEFAULT_MASTER, help="CDNOW_master.txt")
    args = parser.parse_args()
    if not args.master.is_file():
        raise SystemExit(f"{args.master} is missing: see {SHARED_DATA / 'README.md'}")
    dataset = Dataset.from_frames(import_cdnow(args.master).tables)
    sections = []
    for weeks in HORIZONS_WEEKS:
        days = weeks * 7
        as_of = ref.CALIBRATION_CUTOFF + pd.Timedelta(days=days)
        cache = FeatureCache(dataset.before(as_of))
        for label, config in configurations({"propensity_horizon_days": days}).items():
            comparison, seconds = compare(dataset, as_of, "propensity", config, cache)
            title = f"CDNOW, buys again within {weeks} weeks (1997-10-01 + {days} days), {label} settings"
            printed = section(comparison, seconds, BINARY_COLUMNS)
            print(f"\n## {title}\n\n{printed}")
            sections.append((f"cdnow_{weeks}w_{label}", comparison, printed))
    params = {"data": str(args.master), "calibration_cutoff": str(ref.CALIBRATION_CUTOFF)}
    log_results("cdnow", {**params, "transactions_config": str(TRANSACTIONS_CONFIG)}, sections)


if __name__ == "__main__":
    main()
