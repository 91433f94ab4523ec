"""Intent features of every visitor active in the lookback before a cutoff, from the ``events`` table.

The vectors come from :func:`~features.intent.matrix.intent_matrix`, all visitors at once, which the
parity tests hold to :func:`~features.intent.realtime.vector_of`, the service's function. The table is
also cut into one :class:`~features.intent.realtime.VisitorEvents` per visitor, in the form and order
the real-time path builds, for callers that read a visitor's events (scoring lists open products).
A visitor's customer is the latest customer id on their events in the lookback (they logged in); their
customer features are those at the cutoff."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import columns as c
from features.customer_features.build import features_of_past
from features.dataset import Dataset
from features.intent import names as f
from features.intent.matrix import intent_matrix, lookback_events
from features.intent.realtime import VisitorEvents


@dataclass(frozen=True)
class Visitor:
    visitor_id: str
    customer_id: str | None
    events: VisitorEvents


def _texts(series: pd.Series) -> list[str | None]:
    return [v if isinstance(v, str) and v != "" else None for v in series.tolist()]


def visitors(events: pd.DataFrame, as_of: pd.Timestamp) -> Iterator[Visitor]:
    """Each visitor with events in [as_of - lookback, as_of), in visitor id order."""
    frame, ages = lookback_events(events, as_of)
    kinds = frame[c.EVENT_TYPE].map(f.EVENT_CODE).fillna(-1).to_numpy(dtype=np.int64)
    devices = frame[c.DEVICE].map(f.DEVICE_CODE).fillna(-1).to_numpy(dtype=np.int64)
    skus, sources, customers = _texts(frame[c.SKU]), _texts(frame[c.SOURCE]), _texts(frame[c.CUSTOMER_ID])
    ids = frame[c.VISITOR_ID].to_numpy()
    if ids.size == 0:
        return
    bounds = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    for start, end in zip(np.r_[0, bounds], np.r_[bounds, ids.size], strict=True):
        known = [cid for cid in customers[start:end] if cid is not None]
        yield Visitor(
            visitor_id=str(ids[start]),
            customer_id=known[-1] if known else None,
            events=VisitorEvents(
                age_us=ages[start:end],
                kind=kinds[start:end],
                sku=skus[start:end],
                device=devices[start:end],
                source=sources[start:end],
            ),
        )


def customer_inputs(customer_features: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The customer features the intent vector reads, per customer id, as plain floats."""
    values = customer_features[list(f.CUSTOMER_INPUTS)].astype("float64").to_numpy()
    return {
        cid: dict(zip(f.CUSTOMER_INPUTS, row.tolist(), strict=True))
        for cid, row in zip(customer_features[c.CUSTOMER_ID], values, strict=True)
    }


def visitor_vectors(
    past: Dataset, as_of: pd.Timestamp, customer_features: pd.DataFrame | None = None
) -> Iterator[tuple[Visitor, np.ndarray]]:
    """Each visitor active in the lookback before ``as_of`` with their intent vector; ``past`` is already
    ``dataset.before(as_of)``."""
    _, _, matrix = _matrix(past, as_of, customer_features)
    yield from zip(visitors(past.events, as_of), matrix, strict=True)


def _matrix(
    past: Dataset, as_of: pd.Timestamp, customer_features: pd.DataFrame | None
) -> tuple[list[str], list[str | None], np.ndarray]:
    if customer_features is None:
        # the intent vector reads the profile and the order history only (CUSTOMER_INPUTS)
        customer_features = features_of_past(past, as_of, groups=("orders",))
    frame, ages = lookback_events(past.events, as_of)
    return intent_matrix(frame, ages, customer_features)


def intent_frame(
    dataset: Dataset, as_of: pd.Timestamp | str, customer_features: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per visitor active in the lookback before ``as_of``: visitor_id, customer_id, then
    :data:`~features.intent.names.INTENT_FEATURES`. Reads only ``dataset.before(as_of)``;
    ``customer_features`` (from ``build_customer_features`` at ``as_of``) may be passed to reuse them."""
    as_of = pd.Timestamp(as_of)
    if customer_features is None:
        return as_frame(*_matrix(dataset.before(as_of), as_of, None))
    # Given the customer features, only the lookback's events are read, and lookback_events keeps only
    # those strictly before ``as_of``: no cut of the whole data set (a copy of most tables, GBs at 100k
    # customers, at each of the training pipeline's cutoffs).
    frame, ages = lookback_events(dataset.events, as_of)
    return as_frame(*intent_matrix(frame, ages, customer_features))


def as_frame(
    ids: list[str], customers: list[str | None], rows: list[np.ndarray] | np.ndarray
) -> pd.DataFrame:
    if isinstance(rows, np.ndarray) and rows.ndim == 2:
        matrix = rows
    else:
        matrix = np.vstack(rows) if len(rows) else np.empty((0, len(f.INTENT_FEATURES)))
    # The frame holds the matrix, not a copy of it (~70 MB a cutoff at 100k customers): no one else does.
    frame = pd.DataFrame(matrix, columns=list(f.INTENT_FEATURES), copy=False)
    frame.insert(0, c.CUSTOMER_ID, pd.Series(customers, dtype="object"))
    frame.insert(0, c.VISITOR_ID, pd.Series(ids, dtype="object"))
    return frame
