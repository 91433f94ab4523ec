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

A device several customers of different partitions logged in on is scored in each of their partitions
on that partition's events (:mod:`features.customer_partitions` splits its events by customer): its
intent, for the cart and wishlist triggers, can differ from the whole data set's.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from features.dataset import Dataset
from features.privacy.rules import PrivacyRules
from features.retarget.config import RetargetConfig
from features.retarget.shop import shop_facts, shop_share
from features.settings import Settings
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
    """The lists at ``as_of`` with today's champions, ``partitions`` walked twice (see the module doc);
    the partitions' scores wait in a temporary folder under ``work``."""
    step = progress or (lambda _name: None)
    uplift = load_uplift_champion(connect(settings))
    salt = PrivacyRules.from_settings(settings).salt()
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cible-retarget-", dir=work) as folder:
        shares, files = [], {}
        for k, dataset in enumerate(partitions):
            step(f"scoring partition {k + 1}")
            if not len(dataset.customers):
                continue  # anonymous visitors and guest orders only: nobody to contact
            scored = champion_scores(dataset, as_of, settings)
            shares.append(shop_share(dataset, scored.scores, as_of, config))
            if uplift is None:  # only the uplift champion reads the features again
                scored = replace(scored, features=None)
            files[k] = Path(folder) / f"{k}.pickle"
            with files[k].open("wb") as sink:  # our own file, read back by this process only
                pickle.dump(scored, sink, protocol=pickle.HIGHEST_PROTOCOL)
            del dataset, scored
        shop = shop_facts(shares, config)
        parts = []
        for k, dataset in enumerate(partitions):
            if k not in files:
                continue
            step(f"lists of partition {k + 1}")
            with files[k].open("rb") as source:
                scored = pickle.load(source)
            parts.append(
                build_lists(
                    dataset, as_of, config, salt, scored.intent, scored.scores, uplift, scored.features, shop
                )
            )
            del dataset, scored
    step("putting the lists together")
    return combine_lists(parts, config)
