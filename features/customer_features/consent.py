"""The consent ledger read at a point in time: the latest record per customer and purpose wins."""

from __future__ import annotations

import pandas as pd

from features import columns as c
from features import vocab


def consent_state(consents: pd.DataFrame, customer_ids: pd.Index, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per customer, one boolean column per purpose: granted as of ``as_of`` (strictly before).

    No record means no consent: the safe reading for a purpose-bound processing.
    """
    known = consents[consents[c.RECORDED_AT] < as_of]
    latest = known.sort_values(c.RECORDED_AT, kind="stable").drop_duplicates(
        [c.CUSTOMER_ID, c.PURPOSE], keep="last"
    )
    state = latest.pivot(index=c.CUSTOMER_ID, columns=c.PURPOSE, values=c.GRANTED)
    state = state.reindex(index=customer_ids, columns=list(vocab.CONSENT_PURPOSES))
    return state.eq(True)
