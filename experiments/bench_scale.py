"""Peak memory and wall time of the batch steps at several sizes, on the local engine and on Dask.

Each step runs as its own ``cible`` process (as a user runs it); memory is the peak of the summed RSS
of that process and all its children (Dask workers included), sampled every 0.1 s. Synthetic data is
generated once per size under ``--work``. Results go to ``experiments/RESULTS_scale.md`` (appended).

    python experiments/bench_scale.py --sizes 20000 100000 --workers 1 2 4
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

AS_OF = "2026-11-01"
RESULTS = Path(__file__).with_name("RESULTS_scale.md")


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak MB of the process tree, exit code) of ``python -m cible ARGS``.

    CPU is user + system of the process and every descendant it waited for (Dask workers included):
    on a machine shared with other work it is the figure to compare, not the wall time."""
    # stderr to a file, not a pipe: Dask's workers log memory warnings there, and a pipe nobody reads
    # until the end fills and blocks the command (a 1 M run hung so)
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "cible", *args], env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        peak, status, usage = _watch(proc.pid)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace")[-2000:])
    return wall, usage.ru_utime + usage.ru_stime, peak / 2**20, code


def _watch(pid: int) -> tuple[int, int, resource.struct_rusage]:
    """Peak summed RSS of ``pid``'s process tree until it ends, its wait status and resource use."""
    root = psutil.Process(pid)
    peak = 0
    while True:
        # wait4 rather than poll: it gives the child's resource use, descendants it waited for included
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return peak, status, usage
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)


def ensure_data(work: Path, customers: int, env: dict[str, str]) -> Path:
    folder = work / f"synthetic_{customers}"
    if not (folder / "orders.parquet").exists():
        wall, cpu, peak, code = run_measured(
            ["data", "synth", "--out", str(folder), "--customers", str(customers), "--months", "24"], env
        )
        print(f"synth {customers}: {wall:.1f} s, {cpu:.1f} CPU s, {peak:.0f} MB, exit {code}", flush=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4], help="Dask cluster sizes")
    parser.add_argument("--work", type=Path, default=Path("/tmp/cible-bench-scale"))
    parser.add_argument(
        "--no-local", action="store_true", help="Dask runs only (validate, local build measured before)"
    )
    args = parser.parse_args()
    env = dict(os.environ, CIBLE_HOME=str(args.work / "home"))
    rows = []
    for customers in args.sizes:
        folder = ensure_data(args.work, customers, env)
        build = ["features", "build", str(folder), "--as-of", AS_OF, "--no-summary"]
        runs: list[tuple[str, list[str], dict[str, str]]] = []
        if not args.no_local:
            runs.append(("data validate", ["data", "validate", str(folder)], env))
            runs.append(("features build", [*build, "--out", str(args.work / "f_local.parquet")], env))
        for workers in args.workers:
            dask_env = dict(env, CIBLE_DASK_WORKERS=str(workers))
            out = str(args.work / f"f_dask{workers}.parquet")
            runs.append(
                (
                    f"features build, dask {workers} worker(s)",
                    [*build, "--engine", "dask", "--out", out],
                    dask_env,
                )
            )
        for label, cli_args, run_env in runs:
            wall, cpu, peak, code = run_measured(cli_args, run_env)
            rows.append((customers, label, wall, cpu, peak, code))
            print(
                f"{customers:>9,} {label:<40} {wall:8.1f} s {cpu:8.1f} CPU s {peak:8.0f} MB exit {code}",
                flush=True,
            )
    header = (
        f"\n## Run of {time.strftime('%Y-%m-%d %H:%M')} on {psutil.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end\n\n"
        f"`python experiments/bench_scale.py --sizes {' '.join(map(str, args.sizes))} "
        f"--workers {' '.join(map(str, args.workers))}{' --no-local' if args.no_local else ''}`\n\n"
        "| customers | step | wall s | CPU s (tree) | peak MB (process tree) | exit |\n"
        "|---:|---|---:|---:|---:|---:|\n"
    )
    lines = [
        f"| {cu:,} | {label} | {wall:.1f} | {cpu:.1f} | {peak:.0f} | {code} |"
        for cu, label, wall, cpu, peak, code in rows
    ]
    with RESULTS.open("a") as out:
        out.write(header + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
