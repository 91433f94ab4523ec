"""Segmentation on real data: UCI Online Retail and CDNOW, imported with Cible's importers.

Prints, for each data set, the RFM segment table and the behavioural clusters (customers, share,
revenue share of the last 365 days), as the README shows them.

    .venv/bin/python -m experiments.segments_real
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.importers.cdnow import import_cdnow
from features.importers.online_retail import import_online_retail
from features.segments.profile import segment_profile
from features.settings import Settings
from training.segments.config import SegmentsConfig
from training.segments.train import train_segments

RETAIL = "online_retail_2010-12-01_2011-09-09.csv.xz"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOURCES = {
    "Online Retail (cutoff 2011-09-10)": (
        DATA / "online_retail" / "online_retail_2010-12-01_2011-09-09.csv.xz",
        import_online_retail,
        "2011-09-10",
    ),
    "CDNOW (cutoff 1998-07-01)": (DATA / "cdnow" / "CDNOW_master.txt", import_cdnow, "1998-07-01"),
}


def table(features: pd.DataFrame, memberships: pd.DataFrame, kind: str) -> str:
    profile = segment_profile(features, memberships, kind)
    profile = profile.sort_values("revenue_share_365d", ascending=False)
    lines = [f"| {kind} | customers | share | revenue share (365 d) |", "|---|---:|---:|---:|"]
    for _, row in profile.iterrows():
        lines.append(
            f"| {row[kind]} | {int(row['customers']):,} | {row['share']:.1%} "
            f"| {row['revenue_share_365d']:.1%} |"
        )
    return "\n".join(lines)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["CIBLE_HOME"] = home
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        for title, (path, importer, cutoff) in SOURCES.items():
            if not path.exists():
                print(f"{title}: {path} is missing (see ../shared/data/README.md)")
                continue
            os.environ["CIBLE_HOME"] = str(Path(home) / title.split()[0])
            dataset = Dataset.from_frames(importer(path).tables)
            as_of = pd.Timestamp(cutoff)
            run = train_segments(dataset, as_of, Settings.from_env(), SegmentsConfig())
            features = build_customer_features(dataset, as_of)
            print(f"\n### {title}\n")
            print(f"k={int(run.metrics['k'])}, silhouette {run.metrics['silhouette']:.3f}\n")
            print(table(features, run.memberships, "rfm_segment"))
            print()
            print(table(features, run.memberships, "cluster_name"))


if __name__ == "__main__":
    main()
