"""Engagement with marketing contacts of the recent past, overall and per contact channel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features import vocab
from features.arrays import arrow_keys, positions
from features.customer_features import names as n
from features.customer_features.grouping import DAY, CustomerIndex, as_datetime, days_between, ratio


def campaign_features(
    contacts: pd.DataFrame, index: CustomerIndex, as_of: pd.Timestamp
) -> dict[str, np.ndarray]:
    """Contacts sent in the window and the share opened, clicked and converted (as known at ``as_of``)."""
    now = np.datetime64(as_of.to_datetime64(), "us")
    codes = index.codes(contacts[c.CUSTOMER_ID])
    sent = as_datetime(contacts[c.SENT_AT])
    recent = ((now - sent) / DAY).astype(np.float64) <= n.CAMPAIGN_WINDOW_DAYS
    outcomes = {
        "open_rate": contacts[c.OPENED_AT].notna().to_numpy(),
        "click_rate": contacts[c.CLICKED_AT].notna().to_numpy(),
        "conversion_rate": contacts[c.CONVERTED_ORDER_ID].notna().to_numpy(),
    }
    # channels as positions in the vocabulary: comparing codes, not hundreds of thousands of strings
    channels = positions(contacts[c.CHANNEL], arrow_keys(np.array(vocab.CONTACT_CHANNELS, dtype=object)))
    out: dict[str, np.ndarray] = {}
    for at, channel in enumerate((None, *vocab.CONTACT_CHANNELS)):
        scope = recent if channel is None else recent & (channels == at - 1)
        count = index.count(codes, scope)
        out[n.campaign_measure("contacts", channel)] = count
        for measure, happened in outcomes.items():
            out[n.campaign_measure(measure, channel)] = ratio(index.count(codes, scope & happened), count)
    out[n.DAYS_SINCE_LAST_CONTACT] = days_between(now, index.latest(codes, sent))
    return out
