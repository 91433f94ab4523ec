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
            time.sleep(1.0)  # both have started; one is killed while it loads or trains
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
