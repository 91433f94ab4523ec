"""Training groups for the LambdaRank ranker: one group of candidates per customer, label = bought next."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features import columns as c
from features.consent_gate import check_consent
from features.dataset import Dataset, rows_before
from features.memory import give_back
from features.recommend.catalogue import Catalogue
from features.recommend.encoded import encoded
from features.recommend.history import CustomerHistory
from features.recommend.profiles import Profiles
from features.recommend.recommender import Recommender
from training.recommend.config import NboConfig
from training.recommend.errors import RecommenderDataError
from training.recommend.split import Labels, window_labels

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RankingRows:
    features: np.ndarray
    labels: np.ndarray
    groups: np.ndarray  # candidates per customer, in row order
    recall: float  # share of the window's purchases the candidates contain (the ranker's ceiling)


def _spilled(rows: RankingRows, path: Path) -> RankingRows:
    """``rows`` with their features in a file, mapped: held in memory, the earlier windows' rows added to
    every later window's peak (~40 MB a window at 100,000 customers, the recommender's peak in ``train
    all``)."""
    np.save(path, rows.features)
    return replace(rows, features=np.load(path, mmap_mode="r"))


def ranking_rows(
    model: Recommender, history: CustomerHistory, labels: Labels, max_customers: int, seed: int
) -> RankingRows:
    """Candidates of sampled labelled customers; groups without any bought candidate are dropped, since
    they teach a pairwise ranker nothing."""
    rng = np.random.default_rng(seed)
    chosen = np.arange(len(labels.customers))
    if len(chosen) > max_customers:
        chosen = np.sort(rng.choice(chosen, size=max_customers, replace=False))
    feats, ys, groups = [], [], []
    found = total = 0
    # the bought items marked in a catalogue-long mask, then unmarked: np.isin costs more on such short lists
    bought = np.zeros(len(model.catalogue_), dtype=bool)
    profiles = Profiles.gather(history, labels.customers[chosen])
    for start, batch in model.candidate_batches(profiles):
        for b in range(len(batch.offsets) - 1):
            lo, hi = batch.offsets[b], batch.offsets[b + 1]
            j = chosen[start + b]
            bought[labels.items[j]] = True
            y = bought[batch.items[lo:hi]].astype(np.int32)
            bought[labels.items[j]] = False
            found += int(y.sum())
            total += len(labels.items[j])
            if y.any():
                feats.append(batch.features[lo:hi])
                ys.append(y)
                groups.append(len(y))
    if not groups:
        raise RecommenderDataError(
            f"none of the {len(chosen)} customers who bought in the window had a bought product among "
            "their candidates"
            if len(chosen)
            else "no customer with a purchase history bought anything in the window"
        )
    return RankingRows(np.vstack(feats), np.concatenate(ys), np.array(groups), found / max(total, 1))


def window_rows(
    dataset: Dataset, cutoff: pd.Timestamp, end: pd.Timestamp, config: NboConfig, seed: int
) -> RankingRows:
    """Candidates made before ``cutoff``, labelled by purchases in [cutoff, end)."""
    if config.require_profiling_consent:
        # only the two tables the check reads are cut, as Dataset.before would
        customers = rows_before("customers", dataset.customers, cutoff).reset_index(drop=True)
        consents = rows_before("consents", dataset.consents, cutoff).reset_index(drop=True)
        if not check_consent(consents, customers[c.CUSTOMER_ID], cutoff, needs_profiling=True).allowed.any():
            # said before fitting anything: the other windows are then tried at once
            raise RecommenderDataError(
                f"no customer of {cutoff:%Y-%m-%d} has granted `profiling` consent, and the recommender "
                "learns only from those who did (a data set without a consents ledger has nobody)"
            )
    model = Recommender(config.recommend).fit(dataset, cutoff)
    history = CustomerHistory.build(dataset, cutoff, model.catalogue_, config.require_profiling_consent)
    labels = window_labels(dataset, history, model.catalogue_, cutoff, end)
    return ranking_rows(model, history, labels, config.max_train_customers, seed)


def fit_ranker(
    dataset: Dataset, cutoff: pd.Timestamp, end: pd.Timestamp, config: NboConfig
) -> tuple[lgb.LGBMRanker, RankingRows]:
    """A LambdaRank model on ``train_windows`` consecutive windows as long as [cutoff, end), the latest
    ending at ``end``: more customers' next purchases to learn from than one window holds.

    A window where nobody bought any of their candidates (a quiet month, a gap in the data) is skipped
    with its reason logged and the earlier ones still count; only when no window has one does it fail."""
    length = end - cutoff
    # from the encoding, which outlives the orders frame (released by ``train all``, see train_nbo)
    enc = encoded(dataset, Catalogue.from_products(dataset.products))
    first_order = pd.Series(enc.ordered_at, copy=False).min()
    parts: list[RankingRows] = []
    reasons: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cible-ranker-") as spill:
        for w in range(config.train_windows):
            start = cutoff - w * length
            if start <= first_order:
                break
            try:
                rows = window_rows(dataset, start, start + length, config, config.seed + w)
                parts.append(_spilled(rows, Path(spill) / f"window{w}.npy"))
                del rows
            except RecommenderDataError as exc:
                reasons.append(str(exc))
                log.warning(
                    "ranker window %s..%s skipped: %s", f"{start:%Y-%m-%d}", f"{start + length:%Y-%m-%d}", exc
                )
            # a window's aggregates, history and candidates, freed, go back to the system: left in the
            # heap, the next window's arrays land beside them and the process grows window after window
            give_back()
        if not parts:
            earlier = f" nor in the {len(reasons) - 1} windows before it" if len(reasons) > 1 else ""
            why = f": {reasons[0]}" if reasons else ""
            raise RecommenderDataError(
                f"no customer bought any of their candidates between {cutoff:%Y-%m-%d} and "
                f"{end:%Y-%m-%d}{earlier}{why}"
            )
        labels = np.concatenate([r.labels for r in parts])
        groups = np.concatenate([r.groups for r in parts])
        recall = float(np.mean([r.recall for r in parts]))
        # each window's rows read back from its file into one matrix, a window at a time
        dtype = np.result_type(*(r.features for r in parts))
        features = np.empty((len(labels), parts[0].features.shape[1]), dtype=dtype)
        at = 0
        while parts:
            part = parts.pop(0).features
            features[at : at + len(part)] = part
            at += len(part)
            del part
    give_back()  # LightGBM's bins are built from what is held, not beside freed pages
    rows = RankingRows(features, labels, groups, recall)
    ranker = lgb.LGBMRanker(
        objective="lambdarank",
        n_estimators=config.n_estimators,
        learning_rate=config.learning_rate,
        num_leaves=config.num_leaves,
        min_child_samples=config.min_child_samples,
        lambdarank_truncation_level=config.lambdarank_truncation_level,
        random_state=config.seed,
        n_jobs=config.n_jobs,
        verbose=-1,
    )
    ranker.fit(rows.features, rows.labels, group=rows.groups)
    return ranker, rows
