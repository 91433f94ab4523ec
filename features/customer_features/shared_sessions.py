"""Sessions whose events count for different customers (a device shared by several customers, or
anonymous events of a visitor whose latest login was someone else), found batch by batch: the lowest
and highest owner of each session in each batch, then reduced over all batches.

The same answer as :func:`features.customer_features.attribution.reduce_bounds` of every event, by Arrow's
hashing of the session ids: the local build reads millions of sessions, and reducing them through
pandas frames indexed by text cost more than all the other planning together (and the most memory).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.arrays import arrow_keys

_INT64_MIN, _INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


@dataclass(frozen=True)
class SessionBounds:
    """Distinct sessions (text) with the lowest and highest owner code of their events."""

    sessions: pa.Array
    low: np.ndarray
    high: np.ndarray


def batch_bounds(owner: np.ndarray, sessions: pd.Series, counted: np.ndarray | None = None) -> SessionBounds:
    """Bounds of the sessions of a batch of events (of the rows ``counted`` only, if given); events
    without a session are left out."""
    encoded = pc.dictionary_encode(arrow_keys(sessions).cast(pa.large_string()))
    keys = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = keys >= 0 if counted is None else (keys >= 0) & counted
    keys, owner = keys[keep], np.asarray(owner, dtype=np.int64)[keep]
    low = np.full(len(encoded.dictionary), _INT64_MAX, dtype=np.int64)
    high = np.full(len(encoded.dictionary), _INT64_MIN, dtype=np.int64)
    np.minimum.at(low, keys, owner)
    np.maximum.at(high, keys, owner)
    seen = np.flatnonzero(low <= high)
    return SessionBounds(encoded.dictionary.take(pa.array(seen)), low[seen], high[seen])


def mixed_sessions(pieces: list[SessionBounds]) -> pd.Series:
    """Sessions whose events have different owners over all ``pieces``, with the highest owner (the
    customer the session counts for); index named ``session``, as
    :meth:`~features.customer_features.partitioned.PartitionPlan.with_mixed_sessions` keeps them."""
    pieces = [p for p in pieces if len(p.sessions)]
    if not pieces:
        return pd.Series([], dtype=np.int64)
    # One hash table over all chunks: every chunk's dictionary is the whole one.
    encoded = pc.dictionary_encode(pa.chunked_array([p.sessions for p in pieces], type=pa.large_string()))
    dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary
    keys = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks])
    low = np.full(len(dictionary), _INT64_MAX, dtype=np.int64)
    high = np.full(len(dictionary), _INT64_MIN, dtype=np.int64)
    np.minimum.at(low, keys, np.concatenate([p.low for p in pieces]))
    np.maximum.at(high, keys, np.concatenate([p.high for p in pieces]))
    mixed = np.flatnonzero(low != high)
    index = pd.Index(dictionary.take(pa.array(mixed)).to_pandas(), name="session")
    return pd.Series(high[mixed], index=index, name="high")
