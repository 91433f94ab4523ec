"""Tables written part by part: each part appended to its table's single file (Parquet row groups, or CSV
rows), so a data set larger than memory is one file per table, as the loaders expect."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.io import SUFFIXES


class PartWriter:
    """Append frames to ``folder/<table>.<fmt>``. Files grow in a staging folder and are renamed in only
    when the block ends without error: a failed run leaves no half-written table."""

    def __init__(self, folder: Path, fmt: str = "parquet") -> None:
        if fmt not in ("parquet", "csv"):
            raise ValueError(f"unknown format {fmt!r}: use parquet or csv")
        self.folder = Path(folder)
        self.fmt = fmt
        self.rows: dict[str, int] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._staging: Path | None = None

    def __enter__(self) -> PartWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.folder))
        return self

    def _path(self, name: str) -> Path:
        assert self._staging is not None, "use PartWriter as a context manager"
        return self._staging / f"{name}.{self.fmt}"

    def write(self, frames: dict[str, pd.DataFrame]) -> None:
        for name, frame in frames.items():
            self._append(name, frame)
            self.rows[name] = self.rows.get(name, 0) + len(frame)

    def _append(self, name: str, frame: pd.DataFrame) -> None:
        path = self._path(name)
        if self.fmt == "csv":
            first = name not in self.rows
            frame.to_csv(
                path, index=False, mode="w" if first else "a", header=first, date_format="%Y-%m-%d %H:%M:%S"
            )
            return
        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = self._writers.get(name)
        if writer is None:
            writer = self._writers[name] = pq.ParquetWriter(path, table.schema)
        elif not table.schema.equals(writer.schema, check_metadata=False):
            # A column may come out as another Arrow type in one part (all null, say): the first part's
            # schema is the table's.
            table = table.cast(writer.schema)
        writer.write_table(table)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._staging is not None
        try:
            for writer in self._writers.values():
                writer.close()
            if kind is None:
                self._publish()
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)

    def _publish(self) -> None:
        for name in self.rows:
            for suffix in SUFFIXES:  # one file per table: drop the table's files in another format
                stale = self.folder / f"{name}{suffix}"
                if suffix != f".{self.fmt}" and stale.exists():
                    stale.unlink()
            os.replace(self._path(name), self.folder / f"{name}.{self.fmt}")
