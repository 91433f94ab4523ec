"""`cible train all` on worker processes: a worker that dies (killed, out of memory) ends the command
with one line naming the pipeline it was training and the way to train in one process, not a traceback
of the process pool."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from features.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def _spawned_workers(parent: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in parent.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _maps(process: psutil.Process, library: str) -> bool:
    try:
        return any(library in m.path for m in process.memory_maps())
    except psutil.Error:  # it ended meanwhile
        return False


def test_a_killed_worker_is_one_clear_error(small_synthetic_dir: Path, settings: Settings) -> None:
    env = {**os.environ, "CIBLE_TRAIN_JOBS": "2", "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "cible", "train", "all", "--data", str(small_synthetic_dir)]
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    killed = False
    while not killed and proc.poll() is None and time.monotonic() < deadline:
        workers = _spawned_workers(parent)
        if len(workers) == 2:
            # both have started (the process describing the data has ended); once one has loaded the
            # pipelines' libraries, which the command's own process never does, one is killed
            while time.monotonic() < deadline and not any(_maps(w, "lib_lightgbm") for w in workers):
                time.sleep(0.1)
            assert not _maps(parent, "lib_lightgbm") and not _maps(parent, "libarrow")
            workers[0].kill()
            killed = True
        time.sleep(0.1)
    out, err = proc.communicate(timeout=600)
    assert killed, f"no worker process was seen:\n{out}\n{err}"
    assert proc.returncode == 1, out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: the worker process training ") and "stopped abruptly" in last, err
    assert "`cible train all --jobs 1`" in last
    assert "Traceback" not in err


def test_a_pipeline_leaves_no_cutoff_features_to_the_next(small_synthetic, settings: Settings) -> None:
    """Pipelines of one worker share its engine: a pipeline's cutoffs must not stay held through the
    next (at 100k customers they made a worker grow by several GB), whether it trained or was skipped."""
    import pandas as pd

    from cible import train_pipelines as train_all
    from features.batch_engine import InMemoryEngine

    engine = InMemoryEngine(small_synthetic)
    as_of = small_synthetic.default_as_of()

    def uses_two_cutoffs(dataset, at, s, e) -> None:
        e.features(at)
        e.features(at - pd.Timedelta(days=30))
        assert len(e._features) == 2

    def fails(dataset, at, s, e) -> None:
        e.features(at)
        raise train_all.CibleError("too short")

    original = dict(train_all.PIPELINES)
    try:
        train_all.PIPELINES.update({"first": uses_two_cutoffs, "second": fails})
        assert train_all.run_one("first", small_synthetic, as_of, settings, engine).skipped is None
        assert not engine._features
        assert train_all.run_one("second", small_synthetic, as_of, settings, engine).skipped == "too short"
        assert not engine._features
    finally:
        train_all.PIPELINES.clear()
        train_all.PIPELINES.update(original)


def test_default_jobs_stay_within_the_available_memory(monkeypatch) -> None:
    from cible.train_all import JOBS_ENV, PIPELINES, WORKER_BYTES, default_jobs

    monkeypatch.delenv(JOBS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3}, raising=False)
    assert default_jobs(20_000, available=64 * 2**30) == 4  # one per core
    assert default_jobs(20_000, available=2 * WORKER_BYTES + 1) == 2
    assert default_jobs(20_000, available=WORKER_BYTES // 2) == 1  # never none
    # a worker training on more customers needs more
    assert default_jobs(400_000, available=8 * WORKER_BYTES) == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(64)), raising=False)
    assert default_jobs(20_000, available=1 << 50) == len(PIPELINES)
    monkeypatch.setenv(JOBS_ENV, "3")  # the setting wins over the estimate
    assert default_jobs(20_000, available=WORKER_BYTES) == 3


def test_the_command_process_never_imports_the_pipelines_libraries() -> None:
    """At scale each pipeline runs in a worker of its own, also with one job: the command's process
    beside it only dispatches them (~25 MB; pandas alone is ~0.1 GB, the pipelines' libraries ~0.3 GB).
    The data are described in a process of its own (cible.train_plan)."""
    libraries = ("pandas", "pyarrow", "lightgbm", "sklearn", "mlflow", "matplotlib", "shap")
    modules = "cible.cli, cible.train_commands, cible.train_all"
    code = f"import sys, {modules}; print([m for m in {libraries!r} if m in sys.modules])"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("per_part, where", [("300", "workers"), (None, "here")])
def test_one_job_at_scale_trains_each_pipeline_in_a_worker_of_its_own(
    small_synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch, per_part: str | None, where: str
) -> None:
    from cible import train_all
    from features.engine import EngineConfig
    from features.settings import PARTITION_CUSTOMERS_ENV

    if per_part:  # 1,500 customers: five partitions, features from the files
        monkeypatch.setenv(PARTITION_CUSTOMERS_ENV, per_part)
    ran: list[tuple[str, int]] = []

    def parallel(data, cutoff, jobs):
        ran.append(("workers", jobs))
        return [train_all.Outcome(name, 0.0, "") for name in train_all.PIPELINES]

    def here(data, cutoff, settings):
        ran.append(("here", 1))
        return [train_all.Outcome(name, 0.0, "") for name in train_all.PIPELINES]

    monkeypatch.setattr(train_all, "run_parallel", parallel)
    monkeypatch.setattr(train_all, "run_here", here)
    train_all.train_all(small_synthetic_dir, None, 1, EngineConfig())
    assert ran == [(where, 1)]


@pytest.mark.parametrize("debug, level", [(None, "40 30"), ("1", "20 10")])  # MLflow, root
def test_spawned_processes_log_as_the_command_does(debug: str | None, level: str) -> None:
    """``train all``'s planner and workers are spawned: they set up logging from the environment the
    command leaves them (``--debug`` sets CIBLE_DEBUG), not MLflow's INFO lines on the user's terminal."""
    code = (
        "import logging, mlflow; from cible.console import configure_logging; configure_logging(); "
        "print(logging.getLogger('mlflow').getEffectiveLevel(), logging.getLogger().getEffectiveLevel())"
    )
    env = {k: v for k, v in os.environ.items() if k != "CIBLE_DEBUG"} | {"PYTHONPATH": str(REPO)}
    if debug:
        env["CIBLE_DEBUG"] = debug
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:2] == level.split()
