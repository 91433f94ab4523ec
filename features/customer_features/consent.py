"""The consent ledger read at a point in time: the latest record per customer and purpose wins."""

from __future__ import annotations

import pandas as pd

from features import columns as c
from features import vocab


def consent_proofs(
    consents: pd.DataFrame, customer_ids: pd.Index, as_of: pd.Timestamp
) -> dict[str, dict[str, dict[str, object]]]:
    """Each customer's latest choice per purpose before ``as_of`` with its date, source and proof, for
    advisers' screens (customer id -> purpose -> granted, recorded_at, source, proof)."""
    known = consents[(consents[c.RECORDED_AT] < as_of) & consents[c.CUSTOMER_ID].isin(customer_ids)]
    latest = known.sort_values(c.RECORDED_AT, kind="stable").drop_duplicates(
        [c.CUSTOMER_ID, c.PURPOSE], keep="last"
    )
    out: dict[str, dict[str, dict[str, object]]] = {}
    for cid, purpose, granted, at, source, proof in zip(
        latest[c.CUSTOMER_ID],
        latest[c.PURPOSE],
        latest[c.GRANTED],
        latest[c.RECORDED_AT],
        latest[c.SOURCE],
        latest[c.PROOF],
        strict=True,
    ):
        out.setdefault(str(cid), {})[str(purpose)] = {
            "granted": bool(granted),
            "recorded_at": pd.Timestamp(at).isoformat(),
            "source": None if pd.isna(source) else str(source),
            "proof": None if pd.isna(proof) else str(proof),
        }
    return out


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
