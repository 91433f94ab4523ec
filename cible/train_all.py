"""``cible train all``: every training pipeline, in parallel processes when the machine has the cores.

The pipelines are independent (each reads the data set and registers its own models), and each trains
its LightGBM models on one thread, so two cores train two pipelines at once. Worker processes are
spawned, not forked: the parent has already used PyArrow's and possibly OpenMP's thread pools, which a
forked child may inherit in a locked state. A worker runs the pipelines it is given
(:mod:`cible.train_pipelines`), its console output captured and printed by the parent as one block when
the pipeline ends, so that two pipelines' tables never interleave.

Above four times ``CIBLE_PARTITION_CUSTOMERS`` customers (Parquet data), the customer features are
built from the files a partition at a time and a pipeline loads only the tables and columns it reads itself
(:mod:`training.reads`): the whole data set in pandas is ~2.3 GB at 100,000 customers, what a pipeline
reads of it a few hundred MB. Each pipeline then runs in a worker process of its own, also with one job:
this process only plans and dispatches, and never imports the pipelines' libraries. Below, the data set is
loaded with what the features read too, and they are built from it (faster than from the files at each of
~30 cutoffs); with one job the pipelines run in this process.

On ``--engine dask`` the pipelines run one after the other in this process, sharing the connection to
the cluster, which does the parallel work (feature builds at every cutoff).
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from cible.console import UserError, console, steps
from features.engine import EngineConfig
from features.errors import CibleError
from features.settings import Settings

if TYPE_CHECKING:
    from features.train_sample import WholeData

JOBS_ENV = "CIBLE_TRAIN_JOBS"

# In the order a single process runs them (and prints them): :data:`cible.train_pipelines.PIPELINES`.
PIPELINES = ("segments", "predictive models", "recommender", "offer response", "intent", "uplift")

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


# Below this many partitions the data set loaded whole is small (~1 GB at 40,000 customers) and building
# the features from it costs less CPU than from the files at each of ~30 cutoffs: at 20,000 customers
# 177 against 231 CPU s, the same peak (two pipelines' working sets), experiments/RESULTS_scale.md.
FROM_FILES_PARTITIONS = 4


@dataclass(frozen=True)
class TrainingData:
    """Where ``train all`` loads each pipeline's data from, and how its features are built."""

    folder: Path
    sample: str | None  # --train-customers
    config: EngineConfig  # with partitions when the features are built from the files a partition at a time
    sampled: bool = False  # a training sample of the data's customers
    parquet: bool = False  # a folder of Parquet files (features can be built from them)

    @classmethod
    def plan(
        cls, folder: Path, sample: str | None, config: EngineConfig, whole: WholeData, settings: Settings
    ) -> TrainingData:
        """Partitioned features (and pipelines reading their own columns only) above
        ``FROM_FILES_PARTITIONS`` partitions of customers trained on."""
        from features.customer_features.run import is_parquet_folder
        from features.customer_partitions import partition_count

        per_part = settings.partition_customers
        parquet = is_parquet_folder(folder)
        partitioned = config.is_dask or config.partitions or not parquet
        if not partitioned and whole.sample_size > FROM_FILES_PARTITIONS * per_part:
            config = replace(config, partitions=partition_count(whole.sample_size, per_part))
        return cls(folder, sample, config, whole.sampled, parquet)

    @property
    def fresh_workers(self) -> bool:
        """Each pipeline in a worker process of its own, also with one job: at scale (features from the
        files on this machine) a process running pipelines one after the other peaked 0.25 GB above the
        largest of them at 100,000 customers (1.76 against 1.51 GB), and this process, which never imports
        the pipelines' libraries, adds little beside the worker. Not on a training sample, whose draw (~70
        CPU s at 1 M customers) a worker makes once for all its pipelines."""
        return self.features_from_files and not self.config.is_dask and not self.sampled

    @property
    def features_from_files(self) -> bool:
        return self.config.is_dask or bool(self.config.partitions and self.parquet)

    @property
    def features_where(self) -> str:
        return "dask" if self.config.is_dask else "local" if self.features_from_files else "in memory"


@dataclass(frozen=True)
class Outcome:
    name: str
    seconds: float
    output: str  # what the pipeline printed (empty when it printed straight to the terminal)
    skipped: str | None = None  # why the data could not train it


# A worker's peak: each pipeline alone at 100,000 customers trained on (the default sample) peaks at
# 1.2-1.5 GB, and at 20,000 with the data set in memory at ~1.4 GB (experiments/RESULTS_scale.md, session
# 24); it grows with the customers trained on beyond that.
WORKER_BYTES = 1_500 * 2**20
WORKER_CUSTOMERS = 100_000


def default_jobs(customers: int = 0, available: int | None = None) -> int:
    """``CIBLE_TRAIN_JOBS``, else one process per core, at most one per pipeline, and no more than the
    memory available holds (``available`` bytes, default the system's) with each worker training on
    ``customers``: two workers on a machine with room for one would be killed, not faster."""
    if os.environ.get(JOBS_ENV):
        try:
            jobs = int(os.environ[JOBS_ENV])
        except ValueError:
            raise UserError(f"{JOBS_ENV}={os.environ[JOBS_ENV]!r} is not a number of processes") from None
        return max(1, min(jobs, len(PIPELINES)))
    jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    available = available_memory() if available is None else available
    if available is not None:
        per_worker = WORKER_BYTES * max(1.0, customers / WORKER_CUSTOMERS)
        held = max(1, int(available // per_worker))
        if held < min(jobs, len(PIPELINES)):
            console.print(
                f"{held} training process(es), not one per core: {available / 2**30:.1f} GB of memory is "
                f"available, ~{per_worker / 2**30:.1f} GB each ({JOBS_ENV} or --jobs to choose)",
                highlight=False,
            )
        jobs = min(jobs, held)
    return max(1, min(jobs, len(PIPELINES)))


def available_memory() -> int | None:
    """The memory the system can give without swapping (``MemAvailable``), None where it does not say."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def run_parallel(data: TrainingData, as_of: str, jobs: int) -> list[Outcome]:
    """Every pipeline on ``jobs`` worker processes; each outcome printed as its pipeline ends."""
    outcomes: list[Outcome] = []
    with (
        ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(data, as_of),
            # a fresh process per pipeline: what one leaves in a process (freed pages the allocator
            # keeps, libraries' caches) does not add to the next one's peak
            max_tasks_per_child=1 if data.fresh_workers else None,
        ) as pool,
        steps(f"training {len(PIPELINES)} pipelines on {jobs} processes", total=len(PIPELINES)) as progress,
    ):
        # one at a time: in the order one process runs them
        ordered = sorted(PIPELINES, key=lambda name: -COST_SECONDS[name]) if jobs > 1 else PIPELINES
        pending: dict[Future[Outcome], str] = {pool.submit(_work, name): name for name in ordered}
        progress(", ".join(pending.values()))
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                name = pending.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    fewer = " `cible train all --jobs 1` trains one pipeline at a time" if jobs > 1 else ""
                    raise WorkerLostError(
                        f"the worker process training {name} stopped abruptly (killed or out of memory?); "
                        f"its own error, if it printed one, is above.{fewer}"
                    ) from None
                outcomes.append(outcome)
                _report(outcome)
                progress(", ".join(pending.values()) or "done")
    return outcomes


# The workers' entry points, pickled by name: the pipelines' module is imported in the workers only.
def _start_worker(data: TrainingData, as_of: str) -> None:
    from cible.train_pipelines import start_worker

    start_worker(data, as_of)


def _work(name: str) -> Outcome:
    from cible.train_pipelines import work

    return work(name)


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
    planned = _plan(folder, as_of, sample, config)
    # on Dask the cluster works in parallel
    jobs = 1 if config.is_dask else jobs or default_jobs(planned.customers)
    data = planned.data
    when = datetime.fromisoformat(planned.cutoff)
    console.print(
        f"training as of {when:%Y-%m-%d %H:%M} into {settings.tracking_uri} (features: {data.features_where})"
    )
    if jobs > 1 or data.fresh_workers:
        outcomes = run_parallel(data, planned.cutoff, jobs)
    else:
        outcomes = run_here(data, planned.cutoff, settings)
    if all(o.skipped for o in outcomes):
        raise UserError(f"no pipeline could train on {folder}: see the reasons above")
    return outcomes


def run_here(data: TrainingData, cutoff: str, settings: Settings) -> list[Outcome]:
    """Every pipeline in this process, one after the other."""
    import pandas as pd

    from cible.common import command_engines
    from cible.train_pipelines import Trainer

    outcomes = []
    with command_engines(settings, data.folder, data.config) as make:
        trainer = Trainer(data, pd.Timestamp(cutoff), settings, make)
        for name in PIPELINES:
            outcome = trainer.run(name)
            if outcome.skipped:
                console.print(f"[yellow]skipped {name}:[/yellow] {outcome.skipped}", highlight=False)
            outcomes.append(outcome)
    return outcomes


def _plan(folder: Path, as_of: str | None, sample: str | None, config: EngineConfig) -> Plan:
    """:func:`cible.train_plan.plan` in a process of its own: describing the data reads it with pandas and
    Arrow (~0.1 GB held after), which this process, beside every worker, does without. What the planner
    printed is printed here; its error, as this command's."""
    with (
        steps("validating data and reading its customers"),
        ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool,
    ):
        try:
            planned = pool.submit(_plan_there, folder, as_of, sample, config).result()
        except BrokenProcessPool:
            raise WorkerLostError(
                "the process describing the data stopped abruptly (killed or out of memory?)"
            ) from None
    if planned.said:
        console.out(planned.said.rstrip("\n"), highlight=False)
    if planned.error is not None:
        raise UserError(planned.error)
    return planned


@dataclass(frozen=True)
class Plan:
    """What the planner found: the data's plan, the cutoff (ISO text: this process does without pandas),
    the customers trained on, what it printed, or the error that stopped it."""

    data: TrainingData
    cutoff: str
    customers: int
    said: str
    error: str | None = None


def _plan_there(folder: Path, as_of: str | None, sample: str | None, config: EngineConfig) -> Plan:
    from cible.train_plan import plan

    return plan(folder, as_of, sample, config)
