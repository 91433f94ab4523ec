"""Run the stages in order and write the result: the public entry points of the generator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from features.io import write_dataset_frames, write_tables
from features.synth.calendar import Calendar
from features.synth.catalogue import build_catalogue
from features.synth.chunked import CHUNK_CUSTOMERS, write_in_chunks
from features.synth.config import SynthConfig
from features.synth.world import STAGES, SynthResult, simulate, stage_streams, tables_of

__all__ = ["STAGES", "SynthResult", "generate", "write_synthetic"]


def generate(config: SynthConfig, progress: Callable[[str], None] | None = None) -> SynthResult:
    """Simulate the retailer over ``config.months`` months ending at ``config.end``, in one piece."""
    rngs, uplift_rng = stage_streams(config.seed)

    def stage(name: str) -> np.random.Generator:
        if progress is not None:
            progress(name)
        return rngs[name]

    cal = Calendar.from_config(config)
    cat = build_catalogue(stage("catalogue"), cal.start, cal.end)
    world = simulate(config, cal, cat, stage, uplift_rng)
    stage("assemble")
    return tables_of(world)


def write_synthetic(
    config: SynthConfig,
    out: Path,
    fmt: str = "parquet",
    progress: Callable[[str], None] | None = None,
    chunk_customers: int = CHUNK_CUSTOMERS,
) -> dict[str, int]:
    """Generate and write the seven tables to ``out`` and the truth to ``out/truth`` (parquet); the rows
    of each contract table. Above ``chunk_customers`` customers the data set is made chunk by chunk
    (:mod:`features.synth.chunked`), so memory stays that of one chunk."""
    out = Path(out)
    if config.customers > chunk_customers:
        return write_in_chunks(config, out, fmt, progress, chunk_customers)
    result = generate(config, progress)
    if progress is not None:
        progress("write")
    write_dataset_frames(result.tables, out, fmt)
    write_tables(result.truth, out / "truth", "parquet")
    return {name: len(frame) for name, frame in result.tables.items()}
