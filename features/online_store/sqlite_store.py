"""SQLite backend: one file, WAL journal so several service workers read while a materialisation writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from features.online_store.base import (
    EVENT_TTL_SECONDS,
    Record,
    RecordChanges,
    StoredEvent,
    decode,
    encode,
    newest_first,
)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS customers (customer_id TEXT PRIMARY KEY, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, visitor_id TEXT NOT NULL, "
    "customer_id TEXT, ts REAL NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_visitor ON events (visitor_id, ts)",
    "CREATE INDEX IF NOT EXISTS events_customer ON events (customer_id, ts)",
    "CREATE INDEX IF NOT EXISTS events_ts ON events (ts)",
)


class SQLiteStore(RecordChanges):
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in SCHEMA:
            self._db.execute(statement)

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

    def consents_many(self, customer_ids: Iterable[str]) -> dict[str, dict[str, bool]]:
        """SQLite reads the consent out of each record: a 4,000-member list would otherwise decode 4,000
        whole records (features, history) for a few booleans each."""
        ids = list(customer_ids)
        out: dict[str, dict[str, bool]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT customer_id, json_extract(record, '$.consent') FROM customers "
                f"WHERE customer_id IN ({marks})"
            )
            out.update({cid: decode(text) if text else {} for cid, text in self._db.execute(query, chunk)})
        return out

    def delete(self, customer_id: str) -> bool:
        """The record and every event of the person, including those of the devices they logged in from."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            cursor = self._db.execute("DELETE FROM customers WHERE customer_id = ?", (customer_id,))
            visitors = [
                row[0]
                for row in self._db.execute(
                    "SELECT DISTINCT visitor_id FROM events WHERE customer_id = ?", (customer_id,)
                )
            ]
            removed = self._db.execute("DELETE FROM events WHERE customer_id = ?", (customer_id,)).rowcount
            for visitor in visitors:
                removed += self._db.execute("DELETE FROM events WHERE visitor_id = ?", (visitor,)).rowcount
        return cursor.rowcount > 0 or removed > 0

    def _update(self, customer_id: str, change: Callable[[Record], Record]) -> bool:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")  # read-modify-write: no other writer in between
            row = self._db.execute(
                "SELECT record FROM customers WHERE customer_id = ?", (customer_id,)
            ).fetchone()
            if row is None:
                return False
            self._db.execute(
                "UPDATE customers SET record = ? WHERE customer_id = ?",
                (encode(change(decode(row[0]))), customer_id),
            )
        return True

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM customers").fetchone()[0])

    def add_events(self, events: Sequence[StoredEvent]) -> int:
        """One transaction per batch; an event id seen before is ignored, so a retried batch is harmless."""
        rows = [(e.event_id, e.visitor_id, e.customer_id, e.timestamp, encode(e.body)) for e in events]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            before = self._db.total_changes
            self._db.executemany("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?)", rows)
            added = self._db.total_changes - before
            if rows:  # relative to the events' own clock, so replayed or test data behaves the same
                horizon = max(row[3] for row in rows) - EVENT_TTL_SECONDS
                self._db.execute("DELETE FROM events WHERE ts < ?", (horizon,))
        return added

    def recent_events(
        self, visitor_id: str | None, customer_id: str | None, limit: int = 200
    ) -> list[Record]:
        rows: list[tuple[float, str, Record]] = []
        for column, key in (("visitor_id", visitor_id), ("customer_id", customer_id)):
            if key:
                query = f"SELECT ts, event_id, body FROM events WHERE {column} = ? ORDER BY ts DESC LIMIT ?"
                rows += [(ts, eid, decode(body)) for ts, eid, body in self._db.execute(query, (key, limit))]
        return newest_first(rows, limit)

    def close(self) -> None:
        self._db.close()
