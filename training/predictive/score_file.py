"""The ``cible score`` file of a data set loaded one customer partition at a time
(:mod:`features.customer_partitions`): each partition scored as a whole data set would be, its rows
written out before the next is loaded, the file sorted by customer id at the end (as one scoring sorts
it) and renamed into place.

Nothing of a partition's scores depends on another partition's customers: features, champions' scores
and reasons, segments, recommendations, offers and the consent gate are per customer. The one fact of the
whole shop (the category of most spend, offered to customers who refused profiling) is given to each
partition from every partition's orders (:func:`features.offers.eligible.with_shop_spend`).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features import columns as c
from features.dataset import Dataset
from features.io import atomic_path
from features.predictive.bands import CHURN_RISK_BAND
from features.settings import Settings
from training.predictive.champions import ScoringChampions
from training.predictive.score import score_customers, withhold_profiling


@dataclass
class ScoreSummary:
    """What ``cible score`` says of the file it wrote."""

    customers: int = 0
    bands: Counter[str] = field(default_factory=Counter)
    withheld_profiling: int = 0
    missing_models: list[str] = field(default_factory=list)
    missing_recommend_models: list[str] = field(default_factory=list)

    def add(self, scores: pd.DataFrame) -> None:
        self.customers += len(scores)
        self.bands.update(scores[CHURN_RISK_BAND].value_counts().to_dict())
        self.withheld_profiling += int(scores.attrs["withheld_profiling"])
        self.missing_models = list(scores.attrs.get("missing_models", []))
        self.missing_recommend_models = list(scores.attrs.get("missing_recommend_models", []))


def score_partitions(
    partitions: Iterable[Dataset],
    as_of: pd.Timestamp,
    settings: Settings,
    now: pd.Timestamp,
    out: Path,
    progress: Callable[[str], None] | None = None,
) -> ScoreSummary:
    """Every partition's customers scored at ``as_of`` (consent as of ``now`` decides what may leave),
    written to ``out`` sorted by customer id; ``out`` is replaced only once every partition is done.
    ``progress`` is told of each partition as it is scored, and of the final write."""
    step = progress or (lambda _name: None)
    summary = ScoreSummary()
    champions = ScoringChampions.load(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.parts-", dir=out.parent) as work:
        files = []
        for k, dataset in enumerate(partitions):
            step(f"partition {k + 1}")
            if not len(dataset.customers):
                continue
            scored = score_customers(dataset, as_of, settings, champions=champions)
            scores = withhold_profiling(scored, dataset.consents, now)
            del dataset, scored  # the partition's frames go before the next partition is read
            summary.add(scores)
            files.append(Path(work) / f"{k}.parquet")
            scores.to_parquet(files[-1], index=False)
            del scores
        step("writing the file sorted by customer")
        with atomic_path(out) as tmp:
            write_sorted(files, tmp)
    return summary


def write_sorted(files: list[Path], target: Path) -> None:
    """The rows of ``files`` (one partition's scores each) as one Parquet file sorted by customer id; a
    column empty in one partition (no type of its own) takes the type the others give it."""
    tables = [pq.read_table(path) for path in files]
    if not tables:
        raise ValueError("no partition had a customer to score")
    combined = pa.concat_tables(tables, promote_options="permissive")
    del tables
    combined = combined.sort_by(c.CUSTOMER_ID)
    pq.write_table(combined, target)
