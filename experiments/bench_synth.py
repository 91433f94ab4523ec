"""Benchmark of the synthetic data generator: 100,000 customers x 24 months written as Parquet.

Prints the time of each stage and the total (generation plus writing); the target is under 60 s on a
2-core machine. Run: ``python experiments/bench_synth.py [--customers N] [--months M] [--chunk-customers K]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from features.synth.chunked import CHUNK_CUSTOMERS
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk-customers", type=int, default=CHUNK_CUSTOMERS)
    args = parser.parse_args()
    config = SynthConfig(customers=args.customers, months=args.months, seed=args.seed)

    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cible-synth-") as tmp:
        rows = write_synthetic(
            config,
            Path(tmp),
            "parquet",
            progress=lambda s: marks.append((s, time.perf_counter())),
            chunk_customers=args.chunk_customers,
        )
        finished = time.perf_counter()
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*.parquet"))

    print(f"synthetic data: {config.customers:,} customers x {config.months} months (seed {config.seed})")
    ends = [t for _, t in marks[1:]] + [finished]
    for (name, start), end in zip(marks, ends, strict=True):
        print(f"  {name:<12} {end - start:6.2f} s")
    total = finished - started
    verdict = "ok" if total < TARGET_SECONDS else "TOO SLOW"
    print(f"  {'total':<12} {total:6.2f} s  (target < {TARGET_SECONDS:.0f} s: {verdict})")
    counts = ", ".join(f"{name} {n:,}" for name, n in rows.items())
    print(f"rows: {counts}; {size / 1e6:,.0f} MB of Parquet")


if __name__ == "__main__":
    main()
