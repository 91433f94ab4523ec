"""The pipelines of ``cible train all`` and the processes that run them (:mod:`cible.train_all` plans and
dispatches them without importing this module: the pipelines' libraries, ~0.3 GB, live in the workers).

Each pipeline loads its own data (from the validated cache; a training sample of it above
``train_customers``, see :mod:`features.train_sample`, drawn once per process) and lets it go when it
ends; a worker runs the pipelines it is given, its console output captured and sent back to the command.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
from threadpoolctl import threadpool_limits

from cible import intent_commands, predict_commands, recommend_commands, uplift_commands
from cible.common import command_engines, load_training_data
from cible.console import capture, configure_logging
from cible.train_all import PIPELINES as NAMES
from cible.train_all import Outcome, TrainingData
from cible.train_segments import run_segments
from features.batch_engine import BatchEngine, EngineMaker
from features.dataset import Dataset
from features.errors import CibleError
from features.memory import give_back
from features.reads import TableReads, with_features
from features.settings import Settings
from features.train_sample import WholeData, whole_data
from training import reads

Pipeline = Callable[[Dataset, pd.Timestamp, Settings, BatchEngine], None]

PIPELINES: dict[str, Pipeline] = {
    "segments": lambda d, t, s, e: run_segments(d, t, s, None, e),
    "predictive models": predict_commands.train_predictive_all,
    # each pipeline's data set is loaded for it alone (Trainer.run): the recommender and uplift may
    # release tables
    "recommender": lambda d, t, s, e: recommend_commands.run_recommender(d, t, s, owns_data=True),
    "offer response": recommend_commands.run_offers,
    "intent": lambda d, t, s, e: intent_commands.run_intent(d, t, s, e),
    "uplift": lambda d, t, s, e: uplift_commands.run_uplift(
        d, t, s, skip_missing=True, engine=e, owns_data=True
    ),
}
assert tuple(PIPELINES) == NAMES, "cible.train_all.PIPELINES names these, in this order"
READS: dict[str, TableReads] = {
    "segments": reads.SEGMENTS,
    "predictive models": reads.PREDICTIVE,
    "recommender": reads.RECOMMENDER,
    "offer response": reads.OFFER_RESPONSE,
    "intent": reads.INTENT,
    "uplift": reads.UPLIFT,
}


def load(
    data: TrainingData, name: str, as_of: pd.Timestamp, settings: Settings, like: WholeData | None
) -> Dataset:
    """The data pipeline ``name`` reads at ``as_of`` (``like``: the sample an earlier load drew)."""
    if not data.features_from_files:  # the features are built from the data set too: all history
        read, since, encode = with_features(READS[name]), None, None
    else:  # and the texts a pipeline only encodes (the recommender's) read as categoricals
        read, encode = READS[name], reads.DICTIONARY.get(name)
        since = reads.SINCE[name](as_of) if name in reads.SINCE else None
    return load_training_data(
        settings, data.folder, data.sample, quiet=True, reads=read, like=like, since=since, dictionary=encode
    )


def run_one(
    name: str, dataset: Dataset, as_of: pd.Timestamp, settings: Settings, engine: BatchEngine
) -> Outcome:
    start = time.perf_counter()
    try:
        PIPELINES[name](dataset, as_of, settings, engine)
        skipped = None
    except CibleError as exc:  # what one data set cannot train must not stop the others
        skipped = str(exc)
    finally:
        engine.forget()
        gc.collect()  # frames in reference cycles (pandas' caches) go now, not at a later pipeline's peak
    return Outcome(name, time.perf_counter() - start, "", skipped)


class Trainer:
    """Runs pipelines of one ``train all`` in this process, each on the data it loads for itself."""

    def __init__(self, data: TrainingData, as_of: pd.Timestamp, settings: Settings, make: EngineMaker):
        self.data, self.as_of, self.settings, self.make = data, as_of, settings, make
        self.like: WholeData | None = None  # the sample the first load drew

    def run(self, name: str) -> Outcome:
        start = time.perf_counter()
        dataset = load(self.data, name, self.as_of, self.settings, self.like)
        self.like = whole_data(dataset)
        outcome = run_one(name, dataset, self.as_of, self.settings, self.make(dataset))
        del dataset
        give_back()  # the next pipeline loads its own tables: this one's go back to the system first
        return replace(outcome, seconds=time.perf_counter() - start)


# One worker process's trainer.
_WORKER: dict[str, Trainer] = {}


def start_worker(data: TrainingData, as_of: str) -> None:
    configure_logging()
    capture()
    # One worker per core: BLAS and OpenMP threads of their own would only contend with the other
    # workers (OpenBLAS's idle threads spin between the small products of a BTYD fit).
    threadpool_limits(1)
    settings = Settings.from_env()
    # a local engine holds nothing to close (no cluster): the maker lives as long as the worker
    make = command_engines(settings, data.folder, data.config).__enter__()
    _WORKER["trainer"] = Trainer(data, pd.Timestamp(as_of), settings, make)


def work(name: str) -> Outcome:
    buffer = capture()
    outcome = _WORKER["trainer"].run(name)
    return replace(outcome, output=buffer.getvalue())
