"""MLflow holds aggregates only: no customer id in any artifact file (pickled models and plots included)
nor in the tracking database (params, metrics, tags).

The predictive and recommender runs have their own byte scans (tests/training/test_predictive_run.py,
test_recommend_run.py); this one covers the segments run — its registered model included, which MLflow 3
keeps apart from the run — and the offer response run, then scans everything the Cible home's MLflow
holds. A whole `cible train all` on the small data set (measured: 71 artifact files, no id) takes minutes,
too long for the suite; together the scans cover every pipeline it runs but the intent model.
"""

from __future__ import annotations

import re

import pandas as pd

from tests.training.predictive_data import FAST
from training.offers.register import OfferResponseConfig, train_offer_response
from training.predictive.train import train_target
from training.segments.config import SegmentsConfig
from training.segments.train import train_segments

CUSTOMER_ID = re.compile(rb"C\d{6}")  # the synthetic generator's id format


def test_no_customer_id_in_any_artifact_or_the_tracking_database(small_synthetic, settings) -> None:
    as_of = small_synthetic.default_as_of()
    train_segments(small_synthetic, as_of, settings, SegmentsConfig(seed=0))
    train_target(small_synthetic, as_of, settings, "churn", FAST)
    train_offer_response(small_synthetic, as_of, settings, OfferResponseConfig(n_estimators=50))

    ids = set(small_synthetic.customers["customer_id"])
    assert all(CUSTOMER_ID.fullmatch(cid.encode()) for cid in list(ids)[:50])  # the pattern fits the ids
    files = [p for p in settings.artifact_root.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"model.pkl", "rfm_heatmap.png", "shap_summary.png"} <= names
    assert {p.relative_to(settings.artifact_root).parts[0] for p in files} >= {
        "segments",
        "churn",
        "offer_response",
    }
    for path in [*files, settings.home / "mlflow.db"]:
        found = {m.decode() for m in CUSTOMER_ID.findall(path.read_bytes())} & ids
        assert not found, (path, sorted(found)[:3])
    # And the scan would see one: a pickle of a frame holding ids matches.
    sample = settings.home / "probe.pkl"
    pd.to_pickle(small_synthetic.customers.head(3), sample)
    assert {m.decode() for m in CUSTOMER_ID.findall(sample.read_bytes())} & ids
