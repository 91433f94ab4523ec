"""Benchmark: the `make run` chain from a fresh home, step by step (install excluded).

Runs what `make run` runs on a fresh clone — synth, validate, features build, train all, materialize,
keys create — with a private ``CIBLE_HOME``, and prints the wall time of each step. ``--code`` points
at another checkout (e.g. ``git archive <commit> | tar -x -C /tmp/before``) so that a "before" and an
"after" can be measured back to back in the same conditions; ``--results`` appends the table to a file.

    python experiments/first_run_timing.py --label after [--code .] [--customers 20000] [--months 24]
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

from features.clock import month_start, now

# the Makefile's default: the first day of the retailer's current month, where the synthetic data end too
AS_OF = str(month_start().date())


def chain(home: Path) -> list[tuple[str, list[str]]]:
    data = home / "data" / "synthetic"
    return [
        ("data synth", ["data", "synth", "--out", str(data), "--end", AS_OF]),
        ("data validate", ["data", "validate", str(data)]),
        (
            "features build",
            ["features", "build", str(data), "--as-of", AS_OF, "--out", str(home / "features" / "f.parquet")],
        ),
        ("train all", ["train", "all", "--data", str(data), "--as-of", AS_OF]),
        ("materialize", ["materialize", "--data", str(data), "--as-of", AS_OF]),
        ("keys create", ["keys", "create", "local", "--scopes", "site,crm,admin", "--if-missing"]),
    ]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(code: Path, customers: int, months: int) -> list[tuple[str, float, float]]:
    """(step, wall seconds, CPU seconds): on a shared machine the CPU time is the fairer comparison."""
    times: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "CIBLE_HOME": str(home), "PYTHONPATH": str(code.resolve())}
        for label, args in chain(home):
            if label == "data synth":
                args = [*args, "--customers", str(customers), "--months", str(months)]
            start, cpu = time.perf_counter(), children_cpu()
            done = subprocess.run(
                [sys.executable, "-m", "cible", *args], env=env, capture_output=True, text=True
            )
            elapsed, used = time.perf_counter() - start, children_cpu() - cpu
            if done.returncode != 0:
                sys.exit(f"{label} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            print(f"{label:<16} {elapsed:8.1f} s wall {used:8.1f} s CPU", flush=True)
            if label == "train all":
                print(done.stdout, flush=True)
            times.append((label, elapsed, used))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="what this run measures (e.g. before, after)")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--results", type=Path, help="append the table to this Markdown file")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    times = run(args.code, args.customers, args.months)
    total, cpu = sum(t[1] for t in times), sum(t[2] for t in times)
    print(f"{'total':<16} {total:8.1f} s wall {cpu:8.1f} s CPU")
    if args.results:
        stamp = f"{now():%Y-%m-%d %H:%M} (retailer's zone)"  # when it was measured
        lines = [
            f"\n### {args.label}: {args.customers:,} customers x {args.months} months, {stamp}",
            f"code {args.code}; {os.cpu_count()} cores, load average {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after\n",
            "| step | wall s | CPU s |",
            "|---|---:|---:|",
            *(f"| {label} | {t:.1f} | {u:.1f} |" for label, t, u in times),
            f"| **total** | **{total:.1f}** | **{cpu:.1f}** |",
        ]
        with args.results.open("a") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
