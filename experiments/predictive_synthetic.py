"""Predictive candidates on the synthetic retailer, scored against labels and against the hidden truth.

Generates the default data set (20,000 customers x 24 months, seed 42) in memory and runs every candidate
of the four targets as ``cible train all`` would at the end of the data: churn (90 days), propensity
(30 days), value (365 days) and next order (180 days). Churn is also scored against the generator's
hidden churn dates: ROC-AUC of each candidate for "truly gone before the window ends" and "already gone
at the cutoff". Last, the batch-scoring time of 20,000 customers with the four best models.

    .venv/bin/python -m experiments.predictive_synthetic [--customers 20000] [--months 24] [--seed 42]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from experiments.predictive_common import BINARY_COLUMNS, compare, log_results, section
from features import columns as c
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.synth.config import SynthConfig
from features.synth.generate import generate
from training.predictive.compare import Comparison
from training.predictive.config import PredictiveConfig
from training.predictive.rows import FeatureCache
from training.predictive.score import score_features

REGRESSION_COLUMNS: dict[str, str] = {
    "mae": "MAE",
    "rmse": "RMSE",
    "spearman": "Spearman",
    "total_predicted": "expected total",
    "total_actual": "actual total",
    "top_decile_share": "top-decile share",
}
TARGETS: tuple[str, ...] = ("churn", "propensity", "value", "next_order")


def truth_auc(comparison: Comparison, truth: pd.DataFrame) -> dict[str, dict[str, float]]:
    """ROC-AUC of each candidate's churn probability for the generator's own churn dates."""
    rows = comparison.evaluation.features[c.CUSTOMER_ID]
    churn_at = truth.set_index(c.CUSTOMER_ID)["churn_at"].reindex(rows).to_numpy()
    start = comparison.cutoffs.validation
    end = start + pd.Timedelta(days=comparison.cutoffs.horizon_days)
    by_end = churn_at < np.datetime64(end)
    by_start = churn_at < np.datetime64(start)
    return {
        e.name: {
            "truth AUC, gone by window end": roc_auc_score(by_end, e.prediction),
            "truth AUC, gone at cutoff": roc_auc_score(by_start, e.prediction),
        }
        for e in comparison.candidates
    }


def scoring_speed(dataset: Dataset, as_of: pd.Timestamp, comparisons: dict[str, Comparison]) -> str:
    started = time.perf_counter()
    features = build_customer_features(dataset, as_of)
    built = time.perf_counter()
    models = {name: (comp.best.model, "experiment") for name, comp in comparisons.items()}
    scores = score_features(features, as_of, models)
    done = time.perf_counter()
    return (
        f"batch scores of {len(scores):,} customers: features {built - started:.1f} s, four models with "
        f"reasons {done - built:.1f} s ({', '.join(f'{k}: {v[0].candidate}' for k, v in models.items())})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=SynthConfig.customers)
    parser.add_argument("--months", type=int, default=SynthConfig.months)
    parser.add_argument("--seed", type=int, default=SynthConfig.seed)
    args = parser.parse_args()
    started = time.perf_counter()
    result = generate(SynthConfig(customers=args.customers, months=args.months, seed=args.seed))
    dataset = Dataset.from_frames(result.tables)
    as_of = dataset.default_as_of()
    seconds = time.perf_counter() - started
    print(f"generated {args.customers:,} customers x {args.months} months in {seconds:.0f} s")
    cache = FeatureCache(dataset.before(as_of))
    config = PredictiveConfig()
    sections, comparisons = [], {}
    for target in TARGETS:
        comparison, seconds = compare(dataset, as_of, target, config, cache)
        comparisons[target] = comparison
        kind = comparison.target.kind
        extra = truth_auc(comparison, result.truth["customers"]) if target == "churn" else None
        columns = BINARY_COLUMNS if kind == "binary" else REGRESSION_COLUMNS
        printed = section(comparison, seconds, columns, extra)
        print(f"\n## synthetic, {target} ({comparison.target.description})\n\n{printed}")
        sections.append((f"synthetic_{target}", comparison, printed))
    speed = scoring_speed(dataset, as_of, comparisons)
    print(f"\n{speed}")
    params = {
        "customers": str(args.customers),
        "months": str(args.months),
        "seed": str(args.seed),
        "as_of": str(as_of),
    }
    log_results("synthetic", params, [*sections, ("speed", comparisons["churn"], speed)])


if __name__ == "__main__":
    main()
