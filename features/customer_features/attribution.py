"""Which customer each web/app event counts for, and which customer each visit (session) counts for.

Kept apart from the features so a partitioned build can decide it once over the whole event table and
then send every event to the partition of the customer it counts for: the rule is written once here and
works on integer keys (factorised ids in memory, 64-bit hashes when the table is streamed in batches).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.arrays import arrow_keys, positions


@dataclass(frozen=True)
class EventOwners:
    """Per event: the customer code it counts for (-1: nobody) and the code its session counts for."""

    event: np.ndarray
    session: np.ndarray


def latest_logins(visitors: np.ndarray | pd.Series, times: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
    """The customer each visitor logged in as last (a shared device may log in as several customers).

    Only logged-in events (``codes >= 0``) count; at equal times the greater code wins, so the answer
    does not depend on row order and reducing batches of rows, then the reductions, gives the same.
    Columns: ``visitor``, ``time`` (int64 microseconds), ``code``; one row per visitor.
    """
    logged = codes >= 0
    # A Series of Arrow text stays one (filtered by Arrow): an array of Python strings costs a lot more.
    visitor = (
        visitors[logged].reset_index(drop=True)
        if isinstance(visitors, pd.Series)
        else np.asarray(visitors)[logged]
    )
    frame = pd.DataFrame(
        {
            "visitor": visitor,
            "time": np.asarray(times[logged]).astype("datetime64[us]").astype(np.int64),
            "code": codes[logged].astype(np.int64),
        }
    )
    return reduce_logins(frame)


def reduce_logins(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per visitor: its latest login (greatest code on a tie). Reductions of reductions agree."""
    columns = [frame[name] for name in ("visitor", "time", "code")]
    if len(frame) == 0 or not all(pd.api.types.is_integer_dtype(col.dtype) for col in columns[1:]):
        ordered = frame.sort_values(["visitor", "time", "code"], kind="stable")
        return ordered.drop_duplicates("visitor", keep="last").reset_index(drop=True)
    # The latest time, then the greatest code at it, per visitor by direct reductions on integer keys
    # (text visitors factorised, an empty one a key of its own), several times cheaper than sorting on
    # three columns. Rows equal on all three are equal rows, so which of them is kept does not show:
    # the rows are those of the sort, in another order (one row per visitor: the order carries nothing).
    visitor = (
        columns[0].to_numpy()
        if pd.api.types.is_integer_dtype(columns[0].dtype)
        else pd.factorize(columns[0], use_na_sentinel=False)[0]
    )
    time, code = (col.to_numpy() for col in columns[1:])
    dense = visitor.min() >= 0 and visitor.max() < visitor.size
    slot = visitor.astype(np.int64) if dense else np.unique(visitor, return_inverse=True)[1]
    size = int(slot.max()) + 1
    latest = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, slot, time)
    at_latest = np.flatnonzero(time == latest[slot])
    greatest = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(greatest, slot[at_latest], code[at_latest])
    best = at_latest[code[at_latest] == greatest[slot[at_latest]]]
    row = np.full(size, -1, dtype=np.int64)
    row[slot[best]] = best
    return frame.take(row[row >= 0]).reset_index(drop=True)


def owner_codes(codes: np.ndarray, visitors: np.ndarray | pd.Series, logins: pd.DataFrame) -> np.ndarray:
    """Customer code each event counts for: its own customer when known, else the customer its visitor
    last logged in as (``logins`` from :func:`latest_logins`), else -1."""
    owner = np.asarray(codes).astype(np.int64).copy()
    unknown = np.flatnonzero(owner < 0)
    if len(unknown) and len(logins):
        visitors = visitors if isinstance(visitors, pd.Series) else pd.Series(visitors)
        at = positions(visitors.iloc[unknown], arrow_keys(logins["visitor"]))
        owner[unknown[at >= 0]] = logins["code"].to_numpy(dtype=np.int64)[at[at >= 0]]
    return owner


def session_bounds(owner: np.ndarray, sessions: np.ndarray | pd.Series) -> pd.DataFrame:
    """Lowest and highest owner code per session (index: session); bounds of bounds are bounds."""
    owner = np.asarray(owner, dtype=np.int64)
    keys = sessions if isinstance(sessions, pd.Series) else pd.Series(sessions)
    return reduce_bounds(keys, owner, owner)


def reduce_bounds(sessions: pd.Series | pd.Index, low: np.ndarray, high: np.ndarray) -> pd.DataFrame:
    """Least ``low`` and greatest ``high`` per session, sessions in order of first appearance, empty
    ones left out (as a groupby would), by direct reductions on factorised keys: a groupby on millions
    of text keys costs several times more."""
    keys, uniques = pd.factorize(sessions)
    seen = keys >= 0
    keys = keys[seen]
    least = np.full(len(uniques), np.iinfo(np.int64).max, dtype=np.int64)
    greatest = np.full(len(uniques), np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(least, keys, np.asarray(low, dtype=np.int64)[seen])
    np.maximum.at(greatest, keys, np.asarray(high, dtype=np.int64)[seen])
    index = pd.Index(uniques, name="session")
    return pd.DataFrame({"low": least, "high": greatest}, index=index)


def event_owners(
    codes: np.ndarray,
    visitors: np.ndarray,
    sessions: np.ndarray,
    times: np.ndarray,
    logins: pd.DataFrame | None = None,
) -> EventOwners:
    """Customer code of each event and of its session.

    An event of a known customer counts for them; any other event (anonymous, or of a customer outside
    the index) counts for the customer its visitor last logged in as. A session counts for the greatest
    customer code among its events, so a visit is counted once.
    """
    logins = latest_logins(visitors, times, codes) if logins is None else logins
    owner = owner_codes(codes, visitors, logins)
    return EventOwners(event=owner, session=session_maxima(owner, sessions))


def session_maxima(owner: np.ndarray, sessions: np.ndarray) -> np.ndarray:
    """Per event, the greatest ``owner`` among the events of its session (any integer session keys)."""
    sessions = np.asarray(sessions)
    dense = sessions.dtype.kind in "iu" and (
        sessions.size == 0 or (sessions.min() >= 0 and sessions.max() < sessions.size)
    )
    visit = sessions.astype(np.int64) if dense else pd.factorize(sessions)[0]
    # A groupby-transform on integer keys hashes them again; factorised codes index an array directly.
    top = np.full(int(visit.max()) + 1 if visit.size else 0, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(top, visit, owner.astype(np.int64))
    return top[visit]
