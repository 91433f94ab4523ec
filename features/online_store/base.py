"""What every online-store backend offers: JSON records keyed by customer id, written in batches, and each
visitor's and customer's recent events, appended idempotently as the service receives them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
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
    def consents_many(self, customer_ids: Iterable[str]) -> dict[str, dict[str, bool]]: ...
    def delete(self, customer_id: str) -> bool: ...
    def count(self) -> int: ...
    def add_events(self, events: Sequence[StoredEvent]) -> int: ...
    def set_consent(
        self,
        customer_id: str,
        granted: Mapping[str, bool],
        proofs: Mapping[str, Mapping[str, object]] | None = None,
    ) -> bool: ...
    def add_contacts(self, customer_id: str, sent: Mapping[str, str], keep_after: str) -> bool: ...
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


# The contact-pressure window is a week by default; a record keeps at least a month of sends.
CONTACT_KEEP_SECONDS = 31 * 24 * 3600
# materialised sends are the record's `recent_contacts` (ISO times); sends reported to the service since
# are kept apart, by contact id, and dropped by the next materialisation, whose data then holds them
REPORTED_CONTACTS = "reported_contacts"


# purpose -> the latest choice's granted, recorded_at, source and proof, shown on the customer card
CONSENT_PROOF = "consent_proof"


def with_consent(
    record: Record, granted: Mapping[str, bool], proofs: Mapping[str, Mapping[str, object]] | None = None
) -> Record:
    changed = {**record, "consent": {**(record.get("consent") or {}), **granted}}
    if proofs:
        changed[CONSENT_PROOF] = {**(record.get(CONSENT_PROOF) or {}), **proofs}
    return changed


def with_contacts(record: Record, sent: Mapping[str, str], keep_after: str) -> Record:
    """The record with these sends (contact id -> ISO time) among those reported since it was
    materialised: keyed by id, so a retried report changes nothing; none before ``keep_after``."""
    reported = {**(record.get(REPORTED_CONTACTS) or {}), **sent}
    oldest = datetime.fromisoformat(keep_after)
    return {
        **record,
        REPORTED_CONTACTS: {k: t for k, t in reported.items() if datetime.fromisoformat(t) >= oldest},
    }


class RecordChanges:
    """In-place changes of one record, for a backend that can read-modify-write a record atomically."""

    def _update(self, customer_id: str, change: Callable[[Record], Record]) -> bool:
        """Apply ``change`` to the record; False when the customer has no record."""
        raise NotImplementedError

    def set_consent(
        self,
        customer_id: str,
        granted: Mapping[str, bool],
        proofs: Mapping[str, Mapping[str, object]] | None = None,
    ) -> bool:
        """Change purposes of one record in place, with their proof (False: the customer has no record)."""
        return self._update(customer_id, lambda record: with_consent(record, granted, proofs))

    def consents_many(self, customer_ids: Iterable[str]) -> dict[str, dict[str, bool]]:
        """Each known customer's consent state only (lists and counts need nothing else)."""
        return {cid: r.get("consent") or {} for cid, r in self.get_many(customer_ids).items()}  # type: ignore[attr-defined]

    def add_contacts(self, customer_id: str, sent: Mapping[str, str], keep_after: str) -> bool:
        """Sends (contact id -> ISO time) reported since the materialisation, for the contact-pressure cap;
        those before ``keep_after`` are dropped (False: no record)."""
        return self._update(customer_id, lambda record: with_contacts(record, sent, keep_after))


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
