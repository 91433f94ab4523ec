"""The uplift model's rows: every assignment of a campaign with a control group, its outcome, treatment and
point-in-time features (see ``training.uplift.train``), as a frame or, for training at scale, as
:class:`training.stored_rows.StoredRows`: a frame of the keys and the float features in a file, read a
span of rows at a time.

At 100k customers the rows are ~1.5 M assignments x ~110 float features (1.3 GB): held whole next to
the data set they do not fit the 1.5 GB of ``train all``; every step here holds one month's or one
span's features at a time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features import vocab
from features.batch_engine import BatchEngine, InMemoryEngine
from features.campaigns.results import CONVERTED, window_outcomes
from features.campaigns.windows import windows_days
from features.dataset import Dataset
from features.errors import CibleError
from features.memory import give_back
from features.offers.response_model import catalogue_offer
from features.segments.export import in_control_group
from training.stored_rows import SPAN_ROWS, StoredRows, read_rows, write_rows
from training.uplift.config import UpliftConfig

TREATED = "treated"
HOLDOUT_SALT = "uplift-holdout"
MIN_CONTROL_CONVERSIONS = 20
KEY_COLUMNS = (
    c.CAMPAIGN_ID,
    c.CUSTOMER_ID,
    c.ASSIGNED_AT,
    c.GROUP,
    c.CHANNEL,
    c.OFFER_ID,
    CONVERTED,
    TREATED,
)


class NoControlGroupsError(CibleError):
    """Too few assignments with a control group to learn or check an uplift model."""


def feature_columns(rows: pd.DataFrame) -> tuple[str, ...]:
    skip = set(KEY_COLUMNS)
    return tuple(col for col in rows.columns if col not in skip)


def held_out(rows: pd.DataFrame, share: float) -> np.ndarray:
    ids = pd.Series(rows[c.CUSTOMER_ID].unique())
    out = pd.Series(in_control_group(ids, HOLDOUT_SALT, share * 100), index=ids)
    return out.reindex(rows[c.CUSTOMER_ID]).to_numpy(dtype=bool)


def uplift_rows(
    dataset: Dataset,
    as_of: pd.Timestamp,
    config: UpliftConfig,
    progress: Callable[[str], None] | None = None,
    engine: BatchEngine | None = None,
    held_out_last: bool = False,
) -> pd.DataFrame:
    """Assignments with their outcome, treatment and point-in-time features (see ``training.uplift.train``;
    built on ``engine``, the same data, when given: every month starts before ``as_of``). Rows are in the
    order of the months, or with ``held_out_last`` the held-out customers' rows after the others (each in
    that order), so that :func:`split_rows` takes both parts without copying them."""
    with tempfile.TemporaryDirectory(prefix=".cible-uplift-") as work:
        months = _spill(dataset, as_of, config, Path(work), progress, engine)
        if months is None:
            return pd.DataFrame()
        return _assemble(*months, config if held_out_last else None)


def stored_uplift_rows(
    dataset: Dataset,
    as_of: pd.Timestamp,
    config: UpliftConfig,
    work: Path,
    progress: Callable[[str], None] | None = None,
    engine: BatchEngine | None = None,
    owns_data: bool = False,
) -> StoredRows | None:
    """:func:`uplift_rows` with ``held_out_last``, its features in a file under ``work`` (kept there while
    the rows are used); None without any assignment of a campaign with a control group. ``owns_data``:
    see :func:`_spill`."""
    months = _spill(dataset, as_of, config, work, progress, engine, compact=True, owns_data=owns_data)
    return None if months is None else _store(*months, config, work)


Months = tuple[list[pd.DataFrame], list[tuple[Path, list[str]]], list[str]]


def _spill(
    dataset: Dataset,
    as_of: pd.Timestamp,
    config: UpliftConfig,
    work: Path,
    progress: Callable[[str], None] | None,
    engine: BatchEngine | None,
    compact: bool = False,
    owns_data: bool = False,
) -> Months | None:
    """Each month's rows (keys) and their features, written to ``work`` (one float64 file per month, rows
    x columns): the next month's feature build, the largest working set of the run, does not sit on
    top of them. Also the numeric columns of every month, in order (as a concat would have them).
    With ``compact`` the keys are only :func:`_compact`'s. ``owns_data``: nothing else reads
    ``dataset``, whose tables are released once read when ``engine`` builds the features elsewhere."""
    known = dataset.before(as_of)
    a = known.assignments.iloc[_picked(known.assignments, as_of, config)].reset_index(drop=True)
    if a.empty:
        return None
    # Without an engine (or on one over the data set) the features are built from its tables: they stay.
    release = owns_data and engine is not None and not engine.builds_from(dataset)
    if release:  # `a` is a copy of the rows read: the 4.4 M assignments at 100k customers go now
        dataset.release("assignments")  # no loop: its variable would hold `known` through the months
        known.release("assignments")
        give_back()  # their Arrow text (~370 MB), before the outcomes' working set
    a = a.join(window_outcomes(known, a)[[CONVERTED]])
    # The point-in-time view at as_of (a copy of most of the data set's rows when its tables are not in
    # time order) is not held through the months' feature builds, which each cut their own.
    engine = engine or InMemoryEngine(known)
    del known
    if release:  # what is left of the data set read here: nothing reads it after the outcomes
        dataset.release("orders", "products")
    give_back()  # the outcomes' working set, before the first month's features are built
    cutoff = a[c.ASSIGNED_AT].dt.to_period("M").dt.start_time
    if compact:
        a = _compact(a)
    keys: list[pd.DataFrame] = []
    spilled: list[tuple[Path, list[str]]] = []
    names: dict[str, None] = {}
    months = cutoff.to_numpy()
    del cutoff
    # Each month's rows by a mask, in their order (as a groupby gives them, without its sorted copy of
    # every row held through the months' builds).
    for month in map(pd.Timestamp, np.unique(months[~np.isnat(months)])):
        rows = a[months == month]
        if progress is not None:
            progress(f"features {month:%Y-%m}")
        at_month = engine.features(month, keep=False)
        numeric = at_month.select_dtypes(include=["number", "bool"]).astype("float64")
        values = numeric.to_numpy(dtype="float64")  # one block: the frame's own (no copy)
        columns = list(numeric.columns)
        where = pd.Index(at_month[c.CUSTOMER_ID]).get_indexer(rows[c.CUSTOMER_ID])
        del at_month, numeric
        # A left join on the customer, less the rows without features (customers created later): those
        # whose first feature is missing, as the join's dropna on it did.
        found = where >= 0
        found[found] = ~np.isnan(values[where[found], 0])
        keys.append(rows[found])
        path = work / f"{len(spilled)}.f64"
        write_rows(path, values, where[found])
        spilled.append((path, columns))
        names |= dict.fromkeys(columns)
        del values
        give_back()  # this month's features: the next build starts from what is still held
    return keys, spilled, list(names)


def _picked(assignments: pd.DataFrame, as_of: pd.Timestamp, config: UpliftConfig) -> np.ndarray:
    """Positions of the assignments of the lookback whose window closed before ``as_of``, of campaigns
    with a control group among them: the rows are then copied once (at 100k customers a copy of the
    recent rows' six text columns, next to the loaded 4.4 M, set the run's peak)."""
    at = assignments[c.ASSIGNED_AT]
    ends = at + pd.to_timedelta(windows_days(assignments[c.CHANNEL]), unit="D")
    recent = np.flatnonzero(
        ((at >= as_of - pd.Timedelta(days=config.lookback_days)) & (ends <= as_of)).to_numpy()
    )
    del ends
    # Campaigns with two groups (a group by on their text: the peak of the run at 100k customers)
    campaign = pd.factorize(assignments[c.CAMPAIGN_ID].take(recent))[0]  # -1: missing
    group = pd.factorize(assignments[c.GROUP].take(recent))[0]
    pairs = np.unique(np.stack([campaign, group])[:, (campaign >= 0) & (group >= 0)], axis=1)
    groups = np.bincount(pairs[0], minlength=campaign.max(initial=-1) + 1)
    return recent[(campaign >= 0) & (groups[campaign] == 2)]


def _compact(a: pd.DataFrame) -> pd.DataFrame:
    """The keys the fits and the split read (customer, offer family, channel, converted, treated), offer
    and channel as categories: ~1.6 M rows held through every month's feature build at 100k
    customers, where each offer's family as text was a Python string per row."""
    codes, offers = pd.factorize(a[c.OFFER_ID].fillna("none"))
    families = catalogue_offer(pd.Series(offers)).to_numpy()  # once per distinct offer id
    return pd.DataFrame(
        {
            c.CUSTOMER_ID: a[c.CUSTOMER_ID],
            c.CHANNEL: pd.Categorical(a[c.CHANNEL]),
            c.OFFER_ID: pd.Categorical(families[codes]),
            CONVERTED: a[CONVERTED].to_numpy(),
            TREATED: (a[c.GROUP] == vocab.TREATED).to_numpy(),
        },
        index=a.index,
    )


def _with_keys(rows: pd.DataFrame) -> pd.DataFrame:
    rows[c.OFFER_ID] = catalogue_offer(rows[c.OFFER_ID].fillna("none")).to_numpy()
    rows[TREATED] = (rows[c.GROUP] == vocab.TREATED).to_numpy()
    return rows


def _order(keys: list[pd.DataFrame], split: UpliftConfig | None) -> tuple[pd.DataFrame, np.ndarray]:
    """The months' keys as one frame (the held-out customers' rows last with ``split``) and where each
    row of the months goes in it."""
    rows = pd.concat(keys, ignore_index=True)
    keys.clear()
    order = np.arange(len(rows))
    if split is not None:  # training rows first, then the held-out ones, each in the months' order
        order = np.argsort(held_out(rows, split.holdout_share), kind="stable")
        rows = rows.take(order).reset_index(drop=True)
    at = np.empty(len(order), dtype=np.intp)
    at[order] = np.arange(len(order))
    return rows, at


def _assemble(
    keys: list[pd.DataFrame],
    spilled: list[tuple[Path, list[str]]],
    names: list[str],
    split: UpliftConfig | None,
) -> pd.DataFrame:
    """The months' rows as one frame, their features read once into one array (a concat would hold the
    months' frames and the whole)."""
    rows, at = _order(keys, split)
    matrix = np.empty((len(names), len(at)))  # one float block, a column per row of it
    position = {name: i for i, name in enumerate(names)}
    start = 0
    for path, columns in spilled:
        n = path.stat().st_size // (8 * len(columns))
        values = read_rows(path, len(columns), 0, n)
        where = at[start : start + n]
        absent = [position[name] for name in names if name not in set(columns)]  # a concat's NaN
        matrix[np.ix_(absent, where)] = np.nan
        matrix[np.ix_([position[name] for name in columns], where)] = values.T
        start += n
        del values
    rows = pd.concat([rows, pd.DataFrame(matrix.T, columns=names, copy=False)], axis=1)
    return _with_keys(rows)


def _store(
    keys: list[pd.DataFrame],
    spilled: list[tuple[Path, list[str]]],
    names: list[str],
    split: UpliftConfig,
    work: Path,
) -> StoredRows:
    """:func:`_assemble`'s rows (keys :func:`_compact`), the features in ``work``/features.f64 (rows x
    feature columns, in the rows' order) instead of memory: each month's rows land in two runs
    (training, held out)."""
    rows, at = _order(keys, split)
    features = tuple(name for name in names if name not in set(KEY_COLUMNS))
    width = len(features)
    path = work / "features.f64"
    position = {name: i for i, name in enumerate(features)}
    with path.open("wb") as out:
        out.truncate(len(at) * width * 8)
        start = 0
        for month, columns in spilled:
            n = month.stat().st_size // (8 * len(columns))
            mine = [j for j, name in enumerate(columns) if name in position]
            for lo in range(0, n, SPAN_ROWS):
                hi = min(lo + SPAN_ROWS, n)
                block = np.full((hi - lo, width), np.nan)  # a column the month lacks: a concat's NaN
                block[:, [position[columns[j]] for j in mine]] = read_rows(month, len(columns), lo, hi)[
                    :, mine
                ]
                where = at[start + lo : start + hi]
                runs = np.flatnonzero(np.diff(where) != 1) + 1
                for first, last in zip(np.r_[0, runs], np.r_[runs, len(where)], strict=True):
                    out.seek(int(where[first]) * width * 8)
                    out.write(block[first:last].tobytes())
            start += n
            month.unlink()  # its rows are in features.f64 now

    give_back()  # the months' keys and spans, before the fits
    return StoredRows.in_file(rows, features, path)  # keys already compact (see _spill)


def split_rows(rows: pd.DataFrame | StoredRows, config: UpliftConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out rows (parts of ``rows``, no copy when the held-out rows come last)."""
    keys = rows.keys if isinstance(rows, StoredRows) else rows
    out = held_out(keys, config.holdout_share)
    if not np.any(out[:-1] > out[1:]):  # the held-out rows last (uplift_rows(held_out_last=True)): no copy
        n = int(np.count_nonzero(~out))
        if isinstance(rows, StoredRows):
            train, test = rows.part(0, n), rows.part(n, len(rows))
        else:
            train, test = rows.iloc[:n].reset_index(drop=True), rows.iloc[n:].reset_index(drop=True)
    elif isinstance(rows, StoredRows):
        raise ValueError("stored uplift rows hold the held-out customers' rows last")
    else:
        train, test = rows[~out].reset_index(drop=True), rows[out].reset_index(drop=True)
    for part, where in ((train, "training"), (test, "held-out")):
        frame = part.keys if isinstance(part, StoredRows) else part
        treated = frame[TREATED].to_numpy(dtype=bool)  # not a frame of the control rows: a copy of them
        conversions = int(frame[CONVERTED].to_numpy(dtype=int)[~treated].sum())
        if conversions < MIN_CONTROL_CONVERSIONS or treated.all():
            raise NoControlGroupsError(
                f"{where} customers: {len(frame):,} assignments, {conversions} control "
                f"conversions (need {MIN_CONTROL_CONVERSIONS}): campaigns need control groups "
                "(`cible segments export --control`) before an uplift model can be learnt"
            )
    return train, test  # type: ignore[return-value]
