"""The Dask engine's split of rows by customer partition, through files in a folder the client and every
worker see: each input chunk's tagged rows are written to one Arrow IPC file whose record batch ``k``
holds partition ``k``'s rows, and each partition is read back from its batch of every chunk's file.

A worker holds one chunk while it writes and one partition while it reads: memory is bounded by those,
not by the data set, as it is in a shuffle that keeps every piece in the workers (the task shuffle held
the whole of 1 M customers' events: experiments/RESULTS_scale.md). It is the local engine's split
(:mod:`.spill`) with one file per chunk, as chunks are written by different processes.

A chunk's file is written under a temporary name and renamed: a task run again (its worker lost) writes
the same file again, and a reader never sees one half written."""

from __future__ import annotations

import os
import uuid
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from features.customer_features.partitioned import PART
from features.engine import SHARED_ENV, EngineError

# Uncompressed, as the local engine's spill: the files live only as long as the build, and LZ4 costs a
# sixth of the CPU (features/customer_features/spill.py).
SPLIT_OPTIONS = pa.ipc.IpcWriteOptions(compression=None)


def write_chunk(tagged: pd.DataFrame, path: Path, parts: int) -> Path:
    """``tagged``'s rows (without ``_part``) to ``path``, batch ``k`` holding partition ``k``'s rows in their
    order (rows of partition -1 left out); ``path`` is returned for the readers' tasks to depend on."""
    part = tagged[PART].to_numpy()
    keys = part.astype(np.int16) if parts < np.iinfo(np.int16).max else part
    order = np.argsort(keys, kind="stable")  # 16-bit keys: a radix sort
    rows = pa.Table.from_pandas(tagged.drop(columns=[PART]), preserve_index=False).take(order)
    bounds = np.searchsorted(part[order], np.arange(parts + 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        with (
            pa.OSFile(str(temporary), "wb") as sink,
            pa.ipc.new_file(sink, rows.schema, options=SPLIT_OPTIONS) as out,
        ):
            for k in range(parts):
                piece = rows.slice(int(bounds[k]), int(bounds[k + 1] - bounds[k]))
                columns = [column.combine_chunks() for column in piece.columns]
                out.write_batch(pa.RecordBatch.from_arrays(columns, schema=rows.schema))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def read_part(paths: list[Path], part: int) -> pd.DataFrame | None:
    """Partition ``part``'s rows of a table, from the files of its chunks (None: no row)."""
    with ExitStack() as files:
        pieces = []
        for path in paths:
            try:
                mapped = files.enter_context(pa.memory_map(str(path)))
            except FileNotFoundError:
                raise EngineError(
                    f"{path} is not on this Dask worker: the workers must see the client's split folder at "
                    f"the same path; set {SHARED_ENV} to a folder the client and every worker share"
                ) from None
            batch = pa.ipc.open_file(mapped).get_batch(part)
            if batch.num_rows:
                pieces.append(pa.Table.from_batches([batch]))
        if not pieces:
            return None
        # A chunk whose text column is all empty holds it without a type: take the others'.
        return pa.concat_tables(pieces, promote_options="permissive").to_pandas()
