"""What every online-store backend offers: JSON records keyed by customer id, written in batches."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

Record = dict[str, Any]


class OnlineStore(Protocol):
    def put_many(self, records: Mapping[str, Record]) -> None: ...
    def get(self, customer_id: str) -> Record | None: ...
    def get_many(self, customer_ids: Iterable[str]) -> dict[str, Record]: ...
    def delete(self, customer_id: str) -> bool: ...
    def count(self) -> int: ...
    def close(self) -> None: ...


def encode(record: Record) -> str:
    # NaN is not JSON: a missing value is stored as null.
    return json.dumps(record, ensure_ascii=False, allow_nan=False, default=str)


def decode(text: str | bytes) -> Record:
    return json.loads(text)
