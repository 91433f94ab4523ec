"""A large synthetic data set made customer chunk by customer chunk, in the memory of one chunk.

What the whole shop shares is made once: the calendar, the catalogue (from the seed's own catalogue
stream, as in one piece) and the campaign waves (a function of the calendar). Each chunk then simulates
its customers with its own random streams, branched from the seed by chunk index, and numbers its ids
after the previous chunks' (:mod:`features.synth.id_blocks`); its tables are appended to the files.
The output depends on the seed and the chunk size only; a data set of one chunk is made in one piece.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from features.schema import TABLES
from features.synth.calendar import Calendar
from features.synth.catalogue import build_catalogue
from features.synth.config import SynthConfig
from features.synth.id_blocks import IdBlocks, after, planned
from features.synth.parts import PartWriter
from features.synth.world import simulate, stage_streams, tables_of

# ~3 GB at the peak of a chunk (100,000 customers in one piece peaked at 6 GB).
CHUNK_CUSTOMERS = 50_000


def chunk_sizes(customers: int, chunk_customers: int) -> list[int]:
    """Customers per chunk: as few chunks as ``chunk_customers`` allows, sizes differing by at most one."""
    if chunk_customers < 1:
        raise ValueError("chunk_customers must be at least 1")
    n = -(-customers // chunk_customers)
    return [customers // n + (k < customers % n) for k in range(n)]


def write_in_chunks(
    config: SynthConfig,
    out: Path,
    fmt: str = "parquet",
    progress: Callable[[str], None] | None = None,
    chunk_customers: int = CHUNK_CUSTOMERS,
) -> dict[str, int]:
    """Write the data set of ``config`` to ``out`` (truth in ``out/truth``) chunk by chunk; the rows of
    each contract table."""
    sizes = chunk_sizes(config.customers, chunk_customers)
    cal = Calendar.from_config(config)
    shared, _ = stage_streams(config.seed)
    if progress is not None:
        progress("catalogue")
    cat = build_catalogue(shared["catalogue"], cal.start, cal.end)
    blocks: IdBlocks | None = None
    with PartWriter(out, fmt) as tables_out, PartWriter(out / "truth", "parquet") as truth_out:
        for k, n in enumerate(sizes):
            rngs, uplift_rng = stage_streams(config.seed, chunk=k)

            def stage(
                name: str, k: int = k, rngs: dict[str, np.random.Generator] = rngs
            ) -> np.random.Generator:
                if progress is not None:
                    progress(f"chunk {k + 1}/{len(sizes)}: {name}")
                return rngs[name]

            world = simulate(replace(config, customers=n), cal, cat, stage, uplift_rng)
            counts = world.counts()
            if blocks is None:  # widths planned from the first chunk, scaled to all customers
                blocks = planned(counts, config.customers / n)
            stage("assemble")
            result = tables_of(world, blocks)
            del world
            if k > 0:  # the catalogue is shared: written once
                del result.tables["products"]
            if progress is not None:
                progress(f"chunk {k + 1}/{len(sizes)}: write")
            tables_out.write({name: result.tables[name] for name in TABLES if name in result.tables})
            truth_out.write(result.truth)
            del result
            blocks = after(blocks, counts)
    return dict(tables_out.rows)
