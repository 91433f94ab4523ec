"""``cible train all``: every training pipeline, in parallel processes when the machine has the cores.

The pipelines are independent (each reads the data set and registers its own models), and each trains
its LightGBM models on one thread, so two cores train two pipelines at once. Worker processes are
spawned, not forked: the parent has already used PyArrow's and possibly OpenMP's thread pools, which a
forked child may inherit in a locked state. Each worker loads the data set once (from the validated
cache; a training sample of it above ``train_customers``, see :mod:`features.train_sample`: the parent
reads only what the cutoff needs) and runs the pipelines it is given, its console output captured and
printed by the parent as one block when the pipeline ends, so that two pipelines' tables never
interleave.

On ``--engine dask`` the pipelines run one after the other in this process, sharing the connection to
the cluster, which does the parallel work (feature builds at every cutoff).
"""

from __future__ import annotations

import gc
import io
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from cible import console as output
from cible import intent_commands, predict_commands, recommend_commands, uplift_commands
from cible.common import (
    command_engine,
    describe_training_data,
    load_training_data,
    parse_timestamp,
    resolve_as_of,
)
from cible.console import UserError, console, steps
from cible.train_segments import run_segments
from features.batch_engine import BatchEngine
from features.dataset import Dataset
from features.engine import EngineConfig
from features.errors import CibleError
from features.settings import Settings
from training.tracking import connect

JOBS_ENV = "CIBLE_TRAIN_JOBS"

Pipeline = Callable[[Dataset, pd.Timestamp, Settings, BatchEngine], None]

# In the order a single process runs them (and prints them).
PIPELINES: dict[str, Pipeline] = {
    "segments": lambda d, t, s, e: run_segments(d, t, s, None, e),
    "predictive models": predict_commands.train_predictive_all,
    "recommender": lambda d, t, s, e: recommend_commands.run_recommender(d, t, s),
    "offer response": recommend_commands.run_offers,
    "intent": lambda d, t, s, e: intent_commands.run_intent(d, t, s, e),
    "uplift": lambda d, t, s, e: uplift_commands.run_uplift(d, t, s, skip_missing=True, engine=e),
}
# Processes take the longest first (CPU seconds at 20k customers, 2 cores) so that the last to start is
# a short one and the processes end together.
COST_SECONDS = {
    "uplift": 36,
    "predictive models": 34,
    "recommender": 30,
    "intent": 12,
    "offer response": 9,
    "segments": 7,
}


class WorkerLostError(CibleError):
    """A training worker process ended before its pipelines did (killed, out of memory, or it could not
    start: its own error, when it printed one, is just above)."""


@dataclass(frozen=True)
class Outcome:
    name: str
    seconds: float
    output: str  # what the pipeline printed (empty when it printed straight to the terminal)
    skipped: str | None = None  # why the data could not train it


def default_jobs() -> int:
    """``CIBLE_TRAIN_JOBS``, else one process per core, at most one per pipeline."""
    if os.environ.get(JOBS_ENV):
        try:
            jobs = int(os.environ[JOBS_ENV])
        except ValueError:
            raise UserError(f"{JOBS_ENV}={os.environ[JOBS_ENV]!r} is not a number of processes") from None
    else:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(jobs, len(PIPELINES)))


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


# One worker process's state: the data set it loaded, its engine (local) and where to train.
_WORKER: dict[str, object] = {}


def _start_worker(folder: Path, as_of: pd.Timestamp, config: EngineConfig, sample: str | None) -> None:
    _capture()
    # One worker per core: BLAS and OpenMP threads of their own would only contend with the other
    # workers (OpenBLAS's idle threads spin between the small products of a BTYD fit).
    threadpool_limits(1)
    settings = Settings.from_env()
    dataset = load_training_data(settings, folder, sample, quiet=True)  # the parent said which sample
    # a local engine holds nothing to close (no cluster): it lives as long as the worker
    engine = command_engine(settings, folder, dataset, config).__enter__()
    _WORKER.update(settings=settings, as_of=as_of, dataset=dataset, engine=engine)


def _capture() -> io.StringIO:
    """Send the console's output to a buffer (plain text, no live progress bars)."""
    buffer = io.StringIO()
    output.console.file = buffer
    output.err_console.file = buffer
    return buffer


def _work(name: str) -> Outcome:
    buffer = _capture()
    w = _WORKER
    outcome = run_one(name, w["dataset"], w["as_of"], w["settings"], w["engine"])  # type: ignore[arg-type]
    return Outcome(outcome.name, outcome.seconds, buffer.getvalue(), outcome.skipped)


def run_parallel(
    folder: Path,
    as_of: pd.Timestamp,
    settings: Settings,
    jobs: int,
    config: EngineConfig,
    sample: str | None = None,
) -> list[Outcome]:
    """Every pipeline on ``jobs`` worker processes; each outcome printed as its pipeline ends."""
    # The tracking store is created (and its schema migrated) here, once, not by two workers at once.
    connect(settings).search_experiments(max_results=1)
    outcomes: list[Outcome] = []
    with (
        ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(folder, as_of, config, sample),
        ) as pool,
        steps(f"training {len(PIPELINES)} pipelines on {jobs} processes", total=len(PIPELINES)) as progress,
    ):
        ordered = sorted(PIPELINES, key=lambda name: -COST_SECONDS[name])
        pending: dict[Future[Outcome], str] = {pool.submit(_work, name): name for name in ordered}
        progress(", ".join(pending.values()))
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                name = pending.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    raise WorkerLostError(
                        f"the worker process training {name} stopped abruptly (killed or out of memory?); "
                        "its own error, if it printed one, is above. `cible train all --jobs 1` trains "
                        "every pipeline in this process"
                    ) from None
                outcomes.append(outcome)
                _report(outcome)
                progress(", ".join(pending.values()) or "done")
    return outcomes


def _report(outcome: Outcome) -> None:
    console.rule(f"{outcome.name} ({outcome.seconds:.0f} s)", align="left")
    if outcome.output:
        console.out(outcome.output.rstrip("\n"), highlight=False)
    if outcome.skipped:
        console.print(f"[yellow]skipped {outcome.name}:[/yellow] {outcome.skipped}", highlight=False)


def train_all(
    folder: Path | None,
    as_of: str | None,
    jobs: int | None,
    config: EngineConfig,
    sample: str | None = None,
) -> list[Outcome]:
    """Every pipeline, sequentially in this process (``jobs`` 1, or Dask) or on worker processes, on
    the data set or a sample of ``sample`` (``--train-customers``) customers of it."""
    settings = Settings.from_env()
    folder = folder or settings.default_data
    jobs = 1 if config.is_dask else jobs or default_jobs()  # on Dask the cluster works in parallel
    if jobs == 1:
        dataset = load_training_data(settings, folder, sample)
        cutoff = resolve_as_of(dataset, as_of)
        with command_engine(settings, folder, dataset, config) as engine:
            _started(cutoff, settings, engine.name)
            outcomes = []
            for name in PIPELINES:
                outcome = run_one(name, dataset, cutoff, settings, engine)
                if outcome.skipped:
                    console.print(f"[yellow]skipped {name}:[/yellow] {outcome.skipped}", highlight=False)
                outcomes.append(outcome)
    else:
        # Each worker loads its own data set: here only what the cutoff and the sample line need is read.
        whole = describe_training_data(settings, folder, sample)
        cutoff = parse_timestamp(as_of) if as_of else whole.default_as_of
        _started(cutoff, settings, "in memory" if not config.partitions else "local")
        outcomes = run_parallel(folder, cutoff, settings, jobs, config, sample)
    if all(o.skipped for o in outcomes):
        raise UserError(f"no pipeline could train on {folder}: see the reasons above")
    return outcomes


def _started(cutoff: pd.Timestamp, settings: Settings, features: str) -> None:
    console.print(
        f"training as of {cutoff:%Y-%m-%d %H:%M} into {settings.tracking_uri} (features: {features})"
    )
