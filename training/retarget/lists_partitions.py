"""``cible retarget lists`` of a data set loaded one customer partition at a time
(:mod:`features.customer_partitions`): the lists and summary one build of the whole data set gives, with
the memory of a partition.

Two walks over the partitions. The first scores each partition's customers and visitors with the
champions (kept in a temporary folder until the second walk) and takes its share of what the lists
compare across the shop: the predicted values whose quantile makes a lapsing customer high-value, and
the contacts' outcomes whose rate per channel the customers' response is smoothed toward
(:mod:`features.retarget.shop`). The second builds each partition's lists with the whole shop's facts;
every other decision is the customer's own (consent, contact pressure, history, value, channel). The
lists are put together and sorted as one build sorts them (:func:`training.retarget.lists.
combine_lists`).

Two facts may lie across partitions, each settled by one more walk when the data hold any (the
synthetic data hold none): a contact converted into an order of another partition (a guest order goes by
its own id) counts as converted if that order was placed before the cutoff; a device customers of
different partitions logged in on (its events are split by customer) is scored again on all its events
and its row given to the partition of the customer it is scored as.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.privacy.rules import PrivacyRules
from features.retarget.config import RetargetConfig
from features.retarget.history import placed_before
from features.retarget.shop import foreign_orders, shop_facts, shop_share
from features.settings import Settings
from training.intent.score import score_intent
from training.retarget.lists import RetargetLists, build_lists, champion_scores, combine_lists
from training.tracking import connect
from training.uplift.train import load_uplift_champion


def lists_from_partitions(
    partitions: Iterable[Dataset],
    as_of: pd.Timestamp,
    settings: Settings,
    config: RetargetConfig,
    work: Path,
    progress: Callable[[str], None] | None = None,
) -> RetargetLists:
    """The lists at ``as_of`` with today's champions, ``partitions`` walked twice or more (see the module
    doc); the partitions' scores wait in a temporary folder under ``work``."""
    step = progress or (lambda _name: None)
    uplift = load_uplift_champion(connect(settings))
    salt = PrivacyRules.from_settings(settings).salt()
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cible-retarget-", dir=work) as folder:
        shares, files, visitors = [], {}, []
        for k, dataset in enumerate(partitions):
            step(f"scoring partition {k + 1}")
            if not len(dataset.customers):
                continue  # anonymous visitors and guest orders only: nobody to contact
            scored = champion_scores(dataset, as_of, settings)
            shares.append(shop_share(dataset, scored.scores, as_of, config))
            visitors.append(scored.intent[c.VISITOR_ID])
            files[k] = Path(folder) / f"{k}.pickle"
            with files[k].open("wb") as sink:  # our own file, read back by this process only
                pickle.dump(scored, sink, protocol=pickle.HIGHEST_PROTOCOL)
            del dataset, scored
        foreign = foreign_orders(shares)
        elsewhere = _placed(partitions, foreign, as_of) if len(foreign) else frozenset()
        shop = shop_facts(shares, config, elsewhere)
        counts = pd.concat(visitors).value_counts() if visitors else pd.Series([], dtype=int)
        shared = pd.Index(counts.index[counts > 1])
        whole = _whole_intent(partitions, files, shared, as_of, settings) if len(shared) else None
        parts = []
        for k, dataset in enumerate(partitions):
            if k not in files:
                continue
            step(f"lists of partition {k + 1}")
            with files[k].open("rb") as source:
                scored = pickle.load(source)
            intent = scored.intent if whole is None else _with_whole(scored.intent, whole, dataset)
            parts.append(
                build_lists(
                    dataset, as_of, config, salt, intent, scored.scores, uplift, scored.features, shop
                )
            )
            del dataset, scored
    step("putting the lists together")
    return combine_lists(parts, config)


def _placed(partitions: Iterable[Dataset], orders: pd.Index, as_of: pd.Timestamp) -> frozenset[str]:
    """Which of ``orders`` (contacts' conversions to another partition's order, e.g. a guest order) were
    placed before ``as_of``, from every partition's orders (a walk only when there are such orders)."""
    found: set[str] = set()
    for dataset in partitions:  # a partition without customers has guest orders too
        found |= placed_before(dataset, orders, as_of)
        del dataset
    return frozenset(found)


def _whole_intent(
    partitions: Iterable[Dataset],
    files: dict[int, Path],
    shared: pd.Index,
    as_of: pd.Timestamp,
    settings: Settings,
) -> pd.DataFrame:
    """The intent rows of the ``shared`` visitors scored on all their events: their events, their
    customers' profiles, orders and features, from every partition."""
    pieces: dict[str, list[pd.DataFrame]] = {"customers": [], "orders": [], "events": [], "features": []}
    products = None
    for k, dataset in enumerate(partitions):
        if k not in files:
            continue
        events = dataset.events[dataset.events[c.VISITOR_ID].isin(shared)]
        ids = events[c.CUSTOMER_ID].dropna().unique()  # a customer's events are in their partition
        with files[k].open("rb") as source:
            features = pickle.load(source).features
        pieces["events"].append(events)
        pieces["customers"].append(dataset.customers[dataset.customers[c.CUSTOMER_ID].isin(ids)])
        pieces["orders"].append(dataset.orders[dataset.orders[c.CUSTOMER_ID].isin(ids)])
        pieces["features"].append(features[features[c.CUSTOMER_ID].isin(ids)])
        products = dataset.products
        del dataset, features
    frames = {name: pd.concat(rows, ignore_index=True) for name, rows in pieces.items()}
    features = frames.pop("features")
    small = Dataset.from_frames(frames | {"products": products})
    return score_intent(small, as_of, settings, customer_features=features)


def _with_whole(intent: pd.DataFrame, whole: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """A partition's intent rows with the shared visitors' whole rows of its own customers instead of its
    own, in visitor order (as one scoring orders them)."""
    mine = whole[whole[c.CUSTOMER_ID].isin(dataset.customers[c.CUSTOMER_ID])]
    kept = intent[~intent[c.VISITOR_ID].isin(whole[c.VISITOR_ID])]
    rows = pd.concat([kept, mine], ignore_index=True) if len(mine) else kept
    return rows.sort_values(c.VISITOR_ID, kind="stable").reset_index(drop=True)
