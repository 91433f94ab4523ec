"""Many customers' histories as one set of flat arrays (CSR-like offsets), for candidate generation over a
batch of customers: gathered from a :class:`CustomerHistory` by position, or from loose
:class:`Purchases` (a request's, the online store's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from features.recommend.history import CustomerHistory, Purchases


@dataclass(frozen=True)
class Profiles:
    known: np.ndarray  # bool per customer: False for a visitor or unknown customer (no history used)
    region: np.ndarray  # int per customer: index into ``regions``, -1 when unknown ("")
    regions: tuple[str, ...]
    orders: np.ndarray
    days_since_last: np.ndarray
    days_since_first: np.ndarray
    offsets: np.ndarray  # customer b's purchases are rows offsets[b]:offsets[b + 1] of the arrays below
    items: np.ndarray
    days: np.ndarray
    days_since: np.ndarray
    gap: np.ndarray
    view_offsets: np.ndarray
    viewed: np.ndarray
    viewed_days_since: np.ndarray
    carted: np.ndarray
    view_sessions: np.ndarray  # filled with 1 (one visit) where the caller did not know them
    wishlisted: np.ndarray

    def __len__(self) -> int:
        return len(self.known)

    def owner(self) -> np.ndarray:
        """The customer of each purchase row."""
        return np.repeat(np.arange(len(self)), np.diff(self.offsets))

    def view_owner(self) -> np.ndarray:
        return np.repeat(np.arange(len(self)), np.diff(self.view_offsets))

    def select(self, rows: np.ndarray) -> Profiles:
        """The customers at ``rows`` (ascending positions in this batch)."""
        rows = np.asarray(rows, dtype=np.int64)
        bought, offsets = _ranges(self.offsets[rows], self.offsets[rows + 1])
        seen, view_offsets = _ranges(self.view_offsets[rows], self.view_offsets[rows + 1])
        return Profiles(
            known=self.known[rows],
            region=self.region[rows],
            regions=self.regions,
            orders=self.orders[rows],
            days_since_last=self.days_since_last[rows],
            days_since_first=self.days_since_first[rows],
            offsets=offsets,
            items=self.items[bought],
            days=self.days[bought],
            days_since=self.days_since[bought],
            gap=self.gap[bought],
            view_offsets=view_offsets,
            viewed=self.viewed[seen],
            viewed_days_since=self.viewed_days_since[seen],
            carted=self.carted[seen],
            view_sessions=self.view_sessions[seen],
            wishlisted=self.wishlisted[seen],
        )

    @classmethod
    def of(cls, profiles: Sequence[Purchases | None]) -> Profiles:
        """Loose histories (None for a visitor) as one batch."""
        known = [p for p in profiles if p is not None]
        regions = tuple(sorted({p.region for p in known}))

        def per(name: str, default: float) -> np.ndarray:
            return np.array([default if p is None else getattr(p, name) for p in profiles], dtype=float)

        def flat(name: str, dtype: type) -> np.ndarray:
            parts = [np.asarray(getattr(p, name), dtype=dtype) for p in known]
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        def counts(name: str) -> list[int]:
            return [0 if p is None else len(getattr(p, name)) for p in profiles]

        sessions, wished = [], []
        for p in known:
            # older callers' histories lack visit counts and wishes: each viewed item seen once, not wished
            full = len(p.view_sessions) == len(p.viewed)
            sessions.append(p.view_sessions if full else np.ones(len(p.viewed)))
            wished.append(
                p.wishlisted if len(p.wishlisted) == len(p.viewed) else np.zeros(len(p.viewed), bool)
            )
        return cls(
            known=np.array([p is not None for p in profiles], dtype=bool),
            region=np.array([-1 if p is None else regions.index(p.region) for p in profiles], dtype=np.int64),
            regions=regions,
            orders=per("orders", 0.0),
            days_since_last=per("days_since_last", np.nan),
            days_since_first=per("days_since_first", np.nan),
            offsets=np.concatenate([[0], np.cumsum(counts("items"))]).astype(np.int64),
            items=flat("items", np.int64),
            days=flat("days", np.float64),
            days_since=flat("days_since", np.float64),
            gap=flat("gap", np.float64),
            view_offsets=np.concatenate([[0], np.cumsum(counts("viewed"))]).astype(np.int64),
            viewed=flat("viewed", np.int64),
            viewed_days_since=flat("viewed_days_since", np.float64),
            carted=flat("carted", bool),
            view_sessions=np.concatenate(sessions or [np.zeros(0)]).astype(np.float64),
            wishlisted=np.concatenate(wished or [np.zeros(0, bool)]).astype(bool),
        )

    @classmethod
    def gather(cls, history: CustomerHistory, positions: np.ndarray) -> Profiles:
        """The customers at ``positions`` in ``history`` (-1: not in it, served as a visitor)."""
        positions = np.asarray(positions, dtype=np.int64)
        known = positions >= 0
        at = np.where(known, positions, 0)
        start, stop = history.offsets[at], np.where(known, history.offsets[at + 1], history.offsets[at])
        rows, offsets = _ranges(start, stop)
        vstart = history.view_offsets[at]
        vstop = np.where(known, history.view_offsets[at + 1], vstart)
        vrows, view_offsets = _ranges(vstart, vstop)
        # history regions are codes into its own names, -1 (no region) read as ""
        return cls(
            known=known,
            region=np.where(known, history.region[at], -1).astype(np.int64),
            regions=history.regions,
            orders=np.where(known, history.orders[at], 0.0),
            days_since_last=np.where(known, history.days_since_last[at], np.nan),
            days_since_first=np.where(known, history.days_since_first[at], np.nan),
            offsets=offsets,
            items=history.items[rows],
            days=history.days[rows],
            days_since=history.days_since[rows],
            gap=history.gap[rows],
            view_offsets=view_offsets,
            viewed=history.viewed[vrows],
            viewed_days_since=history.viewed_days_since[vrows],
            carted=history.carted[vrows],
            view_sessions=history.view_sessions[vrows],
            wishlisted=history.wishlisted[vrows],
        )


def _ranges(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The concatenated row ranges [start, stop) and their offsets."""
    lengths = stop - start
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = np.arange(offsets[-1]) - np.repeat(offsets[:-1] - start, lengths)
    return rows.astype(np.int64), offsets
