"""What the history says about each customer at a cutoff: recent contacts (the pressure cap), response
per channel, usual hour, order value. Only rows strictly before ``as_of`` are read."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset


def recent_contacts(contacts: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp, days: float) -> np.ndarray:
    """Contacts made to each customer in ``[as_of - days, as_of)``, every channel together."""
    sent = contacts[c.SENT_AT]
    window = contacts[(sent >= as_of - pd.Timedelta(days=days)) & (sent < as_of)]
    counts = window[c.CUSTOMER_ID].value_counts()
    return counts.reindex(ids).fillna(0).to_numpy(dtype=np.int64)


def _outcomes(
    dataset: Dataset, as_of: pd.Timestamp, elsewhere: frozenset[str] = frozenset()
) -> tuple[pd.DataFrame, np.ndarray]:
    """Contacts sent before ``as_of`` and whether each converted: its order was placed before ``as_of``
    (point in time), in ``dataset`` or among ``elsewhere`` (another partition's orders, see
    :func:`foreign_contacts`)."""
    contacts = dataset.contacts[dataset.contacts[c.SENT_AT] < as_of]
    orders = set(dataset.orders.loc[dataset.orders[c.ORDERED_AT] < as_of, c.ORDER_ID]) | elsewhere
    return contacts, contacts[c.CONVERTED_ORDER_ID].isin(orders).to_numpy()


def foreign_contacts(dataset: Dataset, as_of: pd.Timestamp) -> pd.DataFrame:
    """Channel and converted order of the contacts sent before ``as_of`` whose order is none of
    ``dataset``'s: in a customer partition, maybe another partition's (a guest order goes by its own id)."""
    contacts = dataset.contacts[dataset.contacts[c.SENT_AT] < as_of]
    ordered = contacts[c.CONVERTED_ORDER_ID]
    foreign = ordered.notna() & ~ordered.isin(set(dataset.orders[c.ORDER_ID]))
    return contacts.loc[foreign, [c.CHANNEL, c.CONVERTED_ORDER_ID]].reset_index(drop=True)


def placed_before(dataset: Dataset, order_ids: pd.Index, as_of: pd.Timestamp) -> set[str]:
    """Those of ``order_ids`` that are orders of ``dataset`` placed before ``as_of``."""
    orders = dataset.orders
    return set(orders.loc[orders[c.ORDER_ID].isin(order_ids) & (orders[c.ORDERED_AT] < as_of), c.ORDER_ID])


def channel_counts(dataset: Dataset, as_of: pd.Timestamp, channels: tuple[str, ...]) -> pd.DataFrame:
    """Per channel: contacts sent before ``as_of`` and how many converted (a partition's share of the
    shop's rates: they add up, with the conversions of :func:`foreign_contacts` found elsewhere)."""
    contacts, converted = _outcomes(dataset, as_of)
    on = [(contacts[c.CHANNEL] == ch).to_numpy() for ch in channels]
    return pd.DataFrame(
        {
            "contacts": [int(sent.sum()) for sent in on],
            "converted": [int(converted[sent].sum()) for sent in on],
        },
        index=pd.Index(channels),
    )


def channel_rates(counts: pd.DataFrame, base: dict[str, float]) -> dict[str, float]:
    """The shop's rate of each channel from its :func:`channel_counts`; ``base`` for a channel never used."""
    return {
        str(ch): row.converted / row.contacts if row.contacts else base[str(ch)]
        for ch, row in counts.iterrows()
    }


def channel_response(
    dataset: Dataset,
    ids: pd.Index,
    as_of: pd.Timestamp,
    channels: tuple[str, ...],
    base: dict[str, float],
    prior_contacts: float,
    rates: dict[str, float] | None = None,
    elsewhere: frozenset[str] = frozenset(),
) -> np.ndarray:
    """customers x channels: P(an order credited to a contact on the channel), each customer's own rate
    smoothed toward the channel's rate by ``prior_contacts`` pseudo-contacts.

    A contact counts as converted only when its order was placed before ``as_of`` (point in time). The
    channel's rate is the contacts' own (``rates``: the whole shop's, when ``dataset`` is a partition of
    it, and ``elsewhere`` the other partitions' orders its contacts converted to); ``base`` stands in
    for a channel never used.
    """
    contacts, converted = _outcomes(dataset, as_of, elsewhere)
    rates = rates if rates is not None else channel_rates(channel_counts(dataset, as_of, channels), base)
    out = np.empty((len(ids), len(channels)))
    for j, channel in enumerate(channels):
        on = (contacts[c.CHANNEL] == channel).to_numpy()
        per = pd.DataFrame({c.CUSTOMER_ID: contacts.loc[on, c.CUSTOMER_ID].to_numpy(), "y": converted[on]})
        grouped = per.groupby(c.CUSTOMER_ID)["y"].agg(["sum", "count"]).reindex(ids).fillna(0)
        out[:, j] = (grouped["sum"] + prior_contacts * rates[channel]) / (grouped["count"] + prior_contacts)
    return out


def usual_hour(dataset: Dataset, ids: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    """The hour each customer most often orders or visits (orders and web events), NaN without history."""
    orders = dataset.orders[dataset.orders[c.ORDERED_AT] < as_of].drop_duplicates(c.ORDER_ID)
    events = dataset.events[(dataset.events[c.OCCURRED_AT] < as_of) & dataset.events[c.CUSTOMER_ID].notna()]
    events = events.drop_duplicates(c.SESSION_ID)  # one vote per visit, like one per order
    times = pd.DataFrame(
        {
            c.CUSTOMER_ID: np.concatenate(
                [orders[c.CUSTOMER_ID].to_numpy(), events[c.CUSTOMER_ID].to_numpy()]
            ),
            "hour": np.concatenate(
                [orders[c.ORDERED_AT].dt.hour.to_numpy(), events[c.OCCURRED_AT].dt.hour.to_numpy()]
            ),
        }
    ).dropna()
    times = times[times[c.CUSTOMER_ID].isin(ids)]
    if times.empty:
        return np.full(len(ids), np.nan)
    counts = times.groupby([c.CUSTOMER_ID, "hour"]).size().rename("n").reset_index()
    # most frequent hour, the earliest on ties (deterministic)
    best = counts.sort_values([c.CUSTOMER_ID, "n", "hour"], ascending=[True, False, True])
    best = best.drop_duplicates(c.CUSTOMER_ID).set_index(c.CUSTOMER_ID)["hour"]
    return best.reindex(ids).to_numpy(dtype=np.float64)


def mean_order_value(dataset: Dataset, ids: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    """Mean net value of each customer's orders before ``as_of`` (returns net off), NaN without orders."""
    orders = dataset.orders[(dataset.orders[c.ORDERED_AT] < as_of) & dataset.orders[c.CUSTOMER_ID].isin(ids)]
    amount = orders[c.QUANTITY] * orders[c.UNIT_PRICE] * (1 - orders[c.DISCOUNT])
    per_order = amount.groupby([orders[c.CUSTOMER_ID], orders[c.ORDER_ID]]).sum()
    mean = per_order[per_order > 0].groupby(level=0).mean()
    return mean.reindex(ids).to_numpy(dtype=np.float64)


def last_order_at(orders: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> pd.Series:
    known = orders[(orders[c.ORDERED_AT] < as_of) & (orders[c.QUANTITY] > 0)]
    return known.groupby(c.CUSTOMER_ID)[c.ORDERED_AT].max().reindex(ids)
