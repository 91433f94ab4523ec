"""Recommender on UCI Online Retail: ranker vs popularity, repeat + popularity and item-kNN baselines.

Validation cutoff 2011-06-10, test window to the end of the file (2011-09-09); the ranker learns on the
windows of the same length before it. The public file has no consent ledger, so customers are not
filtered on `profiling` here (the pipeline does it by default).

    .venv/bin/python -m experiments.recommend_online_retail [--file ../shared/data/online_retail/...csv.xz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from experiments.recommend_common import compare, describe, write_section
from features.dataset import Dataset
from features.importers.online_retail import import_online_retail
from training.recommend.config import NboConfig
from training.recommend.split import Cutoffs

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_FILE = SHARED_DATA / "online_retail" / "online_retail_2010-12-01_2011-09-09.csv.xz"
VALIDATION_CUTOFF = pd.Timestamp("2011-06-10")
COMMAND = ".venv/bin/python -m experiments.recommend_online_retail"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the Online Retail CSV (.csv, .xz)")
    args = parser.parse_args()
    if not args.file.is_file():
        raise SystemExit(f"{args.file} is missing: see {SHARED_DATA / 'README.md'}")
    dataset = Dataset.from_frames(import_online_retail(args.file).tables)
    cutoffs = Cutoffs.from_validation(VALIDATION_CUTOFF, dataset.default_as_of())
    comparison = compare(dataset, cutoffs, NboConfig(require_profiling_consent=False))
    text = f"## UCI Online Retail\n\n{describe(comparison, COMMAND)}"
    print(text)
    write_section("online_retail", text)


if __name__ == "__main__":
    main()
