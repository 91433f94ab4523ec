"""``train all``'s predictive models: no cutoff's features held from one target to the next (a frame of
every customer per cutoff, ~100 MB at 100,000 customers), each built when a target reads it."""

from __future__ import annotations

import pandas as pd
import pytest

from cible import predict_commands
from features.batch_engine import InMemoryEngine
from features.dataset import Dataset
from features.predictive.model import CHURN, NEXT_ORDER, PROPENSITY, VALUE
from training.predictive.compare import cutoffs_for
from training.predictive.config import PredictiveConfig
from training.predictive.cutoffs import NotEnoughHistoryError
from training.predictive.targets import TARGETS


class CountingEngine(InMemoryEngine):
    def __init__(self, dataset: Dataset) -> None:
        super().__init__(dataset)
        self.built: list[pd.Timestamp] = []

    def _build(self, as_of: pd.Timestamp, groups: tuple[str, ...]) -> pd.DataFrame:
        self.built.append(as_of)
        return super()._build(as_of, groups)


def test_no_cutoff_is_held_from_one_target_to_the_next(
    small_synthetic: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_of = small_synthetic.default_as_of()
    config = PredictiveConfig()
    reads = {}
    for name in (CHURN, PROPENSITY, VALUE, NEXT_ORDER):
        try:
            cutoffs = cutoffs_for(small_synthetic, as_of, TARGETS[name], config)
            reads[name] = {cutoffs.validation, *cutoffs.training}
        except NotEnoughHistoryError:  # a year of data: no value model, the others still run
            reads[name] = set()
    engine = CountingEngine(small_synthetic)
    held: dict[str, set[pd.Timestamp]] = {}

    def run_target(dataset, when, settings, target, cfg, cache):  # what compare_candidates reads
        held[target] = set(engine._features)
        cutoffs_for(dataset, when, TARGETS[target], cfg)
        for cutoff in sorted(reads[target]):
            cache.at(cutoff)
            held[target] |= set(engine._features)

    monkeypatch.setattr(predict_commands, "run_target", run_target)
    predict_commands.train_predictive_all(small_synthetic, as_of, None, engine)  # type: ignore[arg-type]
    shared = reads[CHURN] & (reads[PROPENSITY] | reads[NEXT_ORDER])
    assert shared and not reads[VALUE]
    # A cutoff two targets read is built for each: the second build costs less than holding it.
    assert sorted(engine.built) == sorted(t for name in reads for t in reads[name])
    assert all(not frames for frames in held.values())  # never held once read
    assert engine._features == {}
