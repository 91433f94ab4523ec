"""What every online-store backend offers: JSON records keyed by customer id, written in batches, and each
visitor's and customer's recent events, appended idempotently as the service receives them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import orjson

Record = dict[str, Any]

# Real-time features look back a few weeks at most; older events only cost memory.
EVENT_TTL_SECONDS = 30 * 24 * 3600
MAX_EVENTS_PER_KEY = 500


class OnlineStore(Protocol):
    def put_many(self, records: Mapping[str, Record]) -> None: ...
    def get(self, customer_id: str) -> Record | None: ...
    def get_many(self, customer_ids: Iterable[str]) -> dict[str, Record]: ...
    def delete(self, customer_id: str) -> bool: ...
    def count(self) -> int: ...
    def add_events(self, events: Sequence[StoredEvent]) -> int: ...
    def set_consent(self, customer_id: str, granted: Mapping[str, bool]) -> bool: ...
    def recent_events(
        self, visitor_id: str | None, customer_id: str | None, limit: int = 200
    ) -> list[Record]: ...
    def close(self) -> None: ...


class StoredEvent(Protocol):
    """An event as the store keeps it: its keys, its time in epoch seconds and its JSON body."""

    @property
    def event_id(self) -> str: ...
    @property
    def visitor_id(self) -> str: ...
    @property
    def customer_id(self) -> str | None: ...
    @property
    def timestamp(self) -> float: ...
    @property
    def body(self) -> Record: ...


def encode(record: Record) -> str:
    # NaN is not JSON: a missing value is stored as null.
    return json.dumps(record, ensure_ascii=False, allow_nan=False, default=str)


def decode(text: str | bytes) -> Record:
    # every request decodes a ~4 kB record and its recent events: orjson takes well under half json's time
    return orjson.loads(text)


def newest_first(events: Iterable[tuple[float, str, Record]], limit: int) -> list[Record]:
    """Merge a visitor's and a customer's events (the same event may be in both), newest first."""
    seen: set[str] = set()
    out: list[tuple[float, Record]] = []
    for ts, event_id, body in events:
        if event_id not in seen:
            seen.add(event_id)
            out.append((ts, body))
    out.sort(key=lambda pair: -pair[0])
    return [body for _, body in out[:limit]]
