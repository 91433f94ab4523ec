"""SQLite backend: one file, WAL journal so several service workers read while a materialisation writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from features.online_store.base import Record, decode, encode

SCHEMA = "CREATE TABLE IF NOT EXISTS customers (customer_id TEXT PRIMARY KEY, record TEXT NOT NULL)"


class SQLiteStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)

    def put_many(self, records: Mapping[str, Record]) -> None:
        """All records in one transaction: readers see the old batch or the new one, never half."""
        rows = [(cid, encode(record)) for cid, record in records.items()]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO customers VALUES (?, ?)", rows)

    def get(self, customer_id: str) -> Record | None:
        row = self._db.execute(
            "SELECT record FROM customers WHERE customer_id = ?", (customer_id,)
        ).fetchone()
        return decode(row[0]) if row else None

    def get_many(self, customer_ids: Iterable[str]) -> dict[str, Record]:
        ids = list(customer_ids)
        out: dict[str, Record] = {}
        for start in range(0, len(ids), 500):  # SQLite limits bound parameters per statement
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT customer_id, record FROM customers WHERE customer_id IN ({marks})"
            out.update({cid: decode(text) for cid, text in self._db.execute(query, chunk)})
        return out

    def delete(self, customer_id: str) -> bool:
        with self._db:
            cursor = self._db.execute("DELETE FROM customers WHERE customer_id = ?", (customer_id,))
        return cursor.rowcount > 0

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM customers").fetchone()[0])

    def close(self) -> None:
        self._db.close()
