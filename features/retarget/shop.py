"""What the retargeting lists compare across the whole shop: the predicted value from which a lapsing
customer is high-value (a quantile of every scored customer's) and each channel's conversion rate after a
contact (every contact's). A data set loaded one customer partition at a time gives each partition's
share (:func:`shop_share`); :func:`shop_facts` puts the shares together into what the whole data set
gives, and each partition's lists are built with it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.retarget.config import RetargetConfig
from features.retarget.history import channel_counts, channel_rates, foreign_contacts
from features.retarget.triggers import PREDICTED_VALUE, lapsing_min_value


@dataclass(frozen=True)
class ShopShare:
    """One partition's share: its scored customers' predicted values, its contacts' outcomes."""

    values: pd.Series
    counts: pd.DataFrame  # channel -> contacts, converted (:func:`features.retarget.history.channel_counts`)
    foreign: pd.DataFrame  # contacts converted to none of its orders (history.foreign_contacts)


@dataclass(frozen=True)
class ShopFacts:
    min_value: float  # predicted value from which a customer is high-value (infinite: nobody)
    rates: dict[str, float]  # channel -> the shop's conversion rate after a contact
    elsewhere: frozenset[str] = frozenset()  # orders before the cutoff a partition's contacts may lack


def base_rates(config: RetargetConfig) -> dict[str, float]:
    """The configured response of each channel, for a channel the shop never used."""
    return {ch: config.channels[ch].response for ch in config.channel_names}


def shop_share(
    dataset: Dataset, scores: pd.DataFrame, as_of: pd.Timestamp, config: RetargetConfig
) -> ShopShare:
    values = scores[PREDICTED_VALUE].astype(float).reset_index(drop=True)
    return ShopShare(
        values, channel_counts(dataset, as_of, config.channel_names), foreign_contacts(dataset, as_of)
    )


def foreign_orders(shares: list[ShopShare]) -> pd.Index:
    """The orders the partitions' contacts converted to that are none of their own partition's."""
    return pd.Index(pd.concat([share.foreign[c.CONVERTED_ORDER_ID] for share in shares]).unique())


def shop_facts(
    shares: list[ShopShare], config: RetargetConfig, elsewhere: frozenset[str] = frozenset()
) -> ShopFacts:
    """The shop's facts from every partition's share (a quantile and sums: exactly the whole's);
    ``elsewhere``: which of :func:`foreign_orders` were placed before the cutoff (in another partition)."""
    values = pd.concat([share.values for share in shares], ignore_index=True)
    counts = sum((share.counts for share in shares[1:]), shares[0].counts)
    if elsewhere:
        found = pd.concat([share.foreign for share in shares])
        found = found[found[c.CONVERTED_ORDER_ID].isin(elsewhere)][c.CHANNEL].value_counts()
        counts = counts.assign(
            converted=counts["converted"] + found.reindex(counts.index).fillna(0).astype(int)
        )
    rates = channel_rates(counts, base_rates(config))
    return ShopFacts(lapsing_min_value(values, config), rates, frozenset(elsewhere))
