"""Where a batch command's per-customer work runs: the customer features at a cutoff, and the functions
applied to them (champion scores and reasons, segment assignment), customer partition by partition.

- in memory (a loaded CSV folder, or a data set built in a test): the features of
  :func:`~features.customer_features.build.build_customer_features`, functions applied to the whole frame;
- ``local`` with ``--partitions`` (a Parquet folder): features built in customer partitions in this process
  (:mod:`features.customer_features.streamed`), functions applied to one customer partition at a time
  (without ``--partitions``, ``local`` is in memory: the command has loaded the data set anyway);
- ``dask``: the same partitions built on the cluster and kept there (persisted); functions are mapped over
  them (``map_partitions``) with their arguments (the champions) sent once to each worker that needs them.

A function applied is ``func(features, **kwargs)`` returning one row per customer of ``features`` with its
``customer_id``: whatever the engine, the rows come back sorted by customer id, as the features are, so
every engine gives the same frame.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features import clock
from features import columns as c
from features.customer_features.build import GROUPS, build_customer_features, feature_groups
from features.customer_features.partitioned import customer_partition, default_partitions
from features.customer_features.run import build_features, ensure_valid, features_by_part, is_parquet_folder
from features.dataset import Dataset
from features.engine import EngineConfig, EngineError
from features.load import load_dataset
from features.predictive.boosted import BoostedScorer
from features.privacy.rules import PrivacyRules
from features.settings import Settings
from features.train_sample import sample_of

PerCustomer = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class CutoffRows:
    """Training rows of one cutoff named by their customers: each customer's features at ``cutoff``,
    with ``labels`` (one per customer, indexed by customer id)."""

    cutoff: pd.Timestamp
    labels: pd.Series


def combine_rows(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Results of partitions as one frame sorted by customer id (the order of the features)."""
    filled = [piece for piece in pieces if len(piece)] or pieces[:1]
    out = pd.concat(filled, ignore_index=True)
    return out.sort_values(c.CUSTOMER_ID, kind="stable").reset_index(drop=True)


class BatchEngine:
    """The features of the command's data at any cutoff (built once per cutoff) and ``apply``."""

    name = "in memory"

    def __init__(self) -> None:
        self._features: dict[pd.Timestamp, pd.DataFrame] = {}
        self._groups: dict[pd.Timestamp, tuple[str, ...]] = {}  # the feature groups of each held cutoff
        # for an engine over a training sample: how to make one over every customer (made when asked)
        self._everyone: Callable[[], BatchEngine] | None = None

    def every_customer(self) -> BatchEngine:
        """An engine over every customer of the data: this one, unless it holds a training sample
        (:mod:`features.train_sample`); what a model trained on the sample is applied with when its
        results are kept for every customer (segment memberships)."""
        if self._everyone is None:
            return self
        made = self._everyone()
        self._everyone = lambda: made
        return made

    def features(
        self, as_of: pd.Timestamp, keep: bool = True, groups: Collection[str] = GROUPS
    ) -> pd.DataFrame:
        """Point-in-time features of every customer at ``as_of`` (treat as read-only: it is shared): the
        profile and the feature ``groups`` of :data:`GROUPS` (all by default), at least (features held
        with more groups are served as they are held).

        ``keep=False`` for a cutoff used once (training rows of one month): built, returned, not held.
        A cutoff held with fewer groups than asked is built again with both, held in its place."""
        as_of = pd.Timestamp(as_of)
        asked = feature_groups(groups)
        held = self._groups.get(as_of)
        if held is not None and set(asked) <= set(held):
            return self._features[as_of]
        if held is not None:  # what the holder read, and what is asked: the cutoff stays held
            asked, keep = feature_groups({*held, *asked}), True
            self.forget([as_of])
        built = self._build(as_of, asked)
        if keep:
            self._features[as_of], self._groups[as_of] = built, asked
        else:
            self._release(as_of)
        return built

    def holds(self, as_of: pd.Timestamp, groups: Collection[str] = GROUPS) -> bool:
        """Whether the features at ``as_of`` are held with (at least) ``groups``."""
        held = self._groups.get(pd.Timestamp(as_of))
        return held is not None and set(feature_groups(groups)) <= set(held)

    def forget(self, cutoffs: Iterable[pd.Timestamp] | None = None) -> None:
        """Let go of the features of ``cutoffs`` (default every cutoff): between two pipelines of ``train
        all``, which share the engine but few cutoffs, so that one pipeline's cutoffs do not stay in
        memory through the next; between two runs of a pipeline, those no later run reads."""
        for as_of in list(self._features) if cutoffs is None else [pd.Timestamp(t) for t in cutoffs]:
            self._groups.pop(as_of, None)
            if self._features.pop(as_of, None) is not None:
                self._release(as_of)

    def apply(self, at: pd.Timestamp, func: PerCustomer, /, **kwargs: Any) -> pd.DataFrame:
        """``func(features, **kwargs)`` over the features at ``at``, partition by partition."""
        features = self.features(at)
        if not len(features):
            return func(features, **kwargs)
        return self._apply(pd.Timestamp(at), features, func, kwargs)

    def apply_once(self, at: pd.Timestamp, func: PerCustomer, /, **kwargs: Any) -> pd.DataFrame:
        """:meth:`apply` at a cutoff used once: its features are not kept afterwards (unless they were
        before), and an engine that builds them by partition holds one partition's at a time."""
        at = pd.Timestamp(at)
        held = at in self._features  # with whichever groups: held afterwards with those and every other
        try:
            return self.apply(at, func, **kwargs)
        finally:
            if not held:
                self.forget([at])

    def fit_boosted(
        self, scorer: BoostedScorer, frame: pd.DataFrame, y: np.ndarray, rows: Sequence[CutoffRows]
    ) -> BoostedScorer:
        """``scorer`` fitted on the training rows: ``frame`` and ``y`` here, in this process; ``rows``
        names the same rows by cutoff, for an engine that builds them where the features lie."""
        return scorer.fit(frame, y)

    def builds_from(self, dataset: Dataset) -> bool:
        """Whether the features are built from ``dataset``'s frames: a pipeline that owns ``dataset`` may
        release its tables (:meth:`Dataset.release`) only when they are not."""
        return False

    def _build(self, as_of: pd.Timestamp, groups: tuple[str, ...]) -> pd.DataFrame:
        raise NotImplementedError

    def _release(self, as_of: pd.Timestamp) -> None:
        """Forget what ``_build`` left elsewhere for ``apply`` (the Dask engine's persisted partitions)."""

    def _apply(
        self, as_of: pd.Timestamp, features: pd.DataFrame, func: PerCustomer, kwargs: dict[str, Any]
    ) -> pd.DataFrame:
        return func(features, **kwargs)


class InMemoryEngine(BatchEngine):
    """A data set already in memory: what tests and CSV folders use."""

    def __init__(self, dataset: Dataset) -> None:
        super().__init__()
        self.dataset = dataset

    def builds_from(self, dataset: Dataset) -> bool:
        return dataset is self.dataset

    def _build(self, as_of: pd.Timestamp, groups: tuple[str, ...]) -> pd.DataFrame:
        return build_customer_features(self.dataset, as_of, groups=groups)


class LocalEngine(BatchEngine):
    """A Parquet folder on this machine, in customer partitions (memory bounded by a partition)."""

    name = "local"

    def __init__(
        self, folder: Path, config: EngineConfig, settings: Settings, only: pd.Index | None = None
    ) -> None:
        super().__init__()
        self.folder, self.config, self.settings, self.only = folder, config, settings, only

    def _build(self, as_of: pd.Timestamp, groups: tuple[str, ...]) -> pd.DataFrame:
        return build_features(
            self.folder, as_of, self.config, settings=self.settings, only=self.only, groups=groups
        )

    def apply_once(self, at: pd.Timestamp, func: PerCustomer, /, **kwargs: Any) -> pd.DataFrame:
        at = pd.Timestamp(at)
        if self.holds(at):
            return self.apply(at, func, **kwargs)
        pieces, empty = [], None
        for part in features_by_part(self.folder, at, self.settings, self.config.partitions, self.only):
            if len(part):
                pieces.append(func(part.reset_index(drop=True), **kwargs))
            elif empty is None:  # the frame of no customer, should every partition be empty
                empty = func(part.reset_index(drop=True), **kwargs)
        return combine_rows(pieces) if pieces else empty  # type: ignore[return-value]

    def _apply(
        self, as_of: pd.Timestamp, features: pd.DataFrame, func: PerCustomer, kwargs: dict[str, Any]
    ) -> pd.DataFrame:
        parts = self.config.partitions or default_partitions(len(features))
        if parts == 1:
            return func(features, **kwargs)
        part = customer_partition(features[c.CUSTOMER_ID], parts)
        pieces = [
            func(features[part == p].reset_index(drop=True), **kwargs)
            for p in range(parts)
            if (part == p).any()
        ]
        return combine_rows(pieces)


class DaskEngine(BatchEngine):
    """A Parquet folder processed on a Dask cluster: the features stay there, models go to them."""

    name = "dask"

    def __init__(
        self,
        folder: Path,
        config: EngineConfig,
        settings: Settings,
        client: Any,
        only: pd.Index | None = None,
    ) -> None:
        super().__init__()
        self.folder, self.config, self.settings, self.client = folder, config, settings, client
        self.only = only  # the customers to build (a training sample), None: every one
        self._on_cluster: dict[pd.Timestamp, Any] = {}
        self._split: dict[pd.Timestamp, Any] = {}  # each cutoff's split rows, as long as its features

    def _build(self, as_of: pd.Timestamp, groups: tuple[str, ...]) -> pd.DataFrame:
        from features.customer_features.partitioned import combine_parts
        from features.dask_engine import collect, feature_partitions, split_folder

        now = clock.now()
        ensure_valid(self.folder, self.settings, now)
        rules = PrivacyRules.from_settings(self.settings)
        # Kept with the features: a lost worker's partitions are built again from the split rows.
        self._split[as_of] = work = split_folder()
        lazy = feature_partitions(
            self.folder,
            as_of,
            rules,
            now,
            self.client,
            Path(work.name),
            self.config.partitions,
            only=self.only,
            groups=groups,
        )
        # Kept on the workers: the models of ``apply`` are mapped over these very partitions.
        persisted = self.client.persist(lazy)
        self._on_cluster[as_of] = persisted
        return combine_parts(collect(persisted, self.client))

    def _release(self, as_of: pd.Timestamp) -> None:
        self._on_cluster.pop(as_of, None)  # the last reference: the workers free the partitions
        work = self._split.pop(as_of, None)
        if work is not None:
            work.cleanup()

    def _apply(
        self, as_of: pd.Timestamp, features: pd.DataFrame, func: PerCustomer, kwargs: dict[str, Any]
    ) -> pd.DataFrame:
        import dask

        from features.dask_engine import collect

        # The frame the partitions return, from one customer here (Dask needs it before any runs).
        meta = func(features.iloc[:1].reset_index(drop=True), **kwargs).iloc[:0]
        # One copy of each argument in the graph, moved once to each worker that runs a partition.
        refs = {name: dask.delayed(value, pure=True) for name, value in kwargs.items()}
        mapped = self._on_cluster[as_of].map_partitions(_apply_part, func, meta, **refs, meta=meta)
        return combine_rows(collect(mapped, self.client))

    def fit_boosted(
        self, scorer: BoostedScorer, frame: pd.DataFrame, y: np.ndarray, rows: Sequence[CutoffRows]
    ) -> BoostedScorer:
        """With ``lightgbm.dask`` on the workers, the rows built from the persisted features of each
        cutoff (``frame`` and ``y`` are not used); the model comes back as a local LightGBM model.
        A LightGBM fit cannot lose one of its machines: a lost worker is a clear error, not a retry."""
        from distributed import CancelledError, KilledWorker
        from lightgbm.basic import LightGBMError

        from features.predictive.boosted_dask import fit_on_cluster

        on_cluster = []
        for part in rows:
            if not self.holds(part.cutoff):  # held with every group: persisted on the cluster
                self.features(part.cutoff)
            on_cluster.append((self._on_cluster[part.cutoff], part.labels))
        before = self._workers()
        try:
            return fit_on_cluster(scorer, self.client, on_cluster)
        except (LightGBMError, KilledWorker, CancelledError, OSError, TimeoutError) as exc:
            # A restarted worker comes back under a new address: count those no longer there.
            lost = len(before - self._workers())
            gone = f" ({lost} of its {len(before)} workers lost)" if lost else ""
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise EngineError(
                f"LightGBM training on the Dask cluster failed{gone}: {type(exc).__name__}: {first}; "
                "distributed LightGBM cannot finish without every worker it started on: run the "
                "command again once the cluster is whole"
            ) from exc

    def _workers(self) -> set[str]:
        return set(self.client.scheduler_info(n_workers=-1)["workers"])


def _apply_part(part: pd.DataFrame, func: PerCustomer, empty: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    if not len(part):  # a customer partition nobody hashed to
        return empty
    return func(part.reset_index(drop=True), **kwargs)


EngineMaker = Callable[[Dataset], BatchEngine]


@contextmanager
def open_engine(
    config: EngineConfig, folder: Path, dataset: Dataset, settings: Settings
) -> Iterator[BatchEngine]:
    """The engine of a command on ``folder`` (``dataset``: the same folder, loaded): partitions on this
    machine or a Dask cluster (connected for the whole command) for Parquet, in memory for CSV.

    On a training sample (:func:`features.train_sample.load_training_data`) the features are the
    sample's customers' on every engine, and :meth:`BatchEngine.every_customer` builds every customer's
    in partitions (for CSV: from the whole data set, loaded when first asked)."""
    with engine_maker(config, folder, settings) as make:
        yield make(dataset)


@contextmanager
def engine_maker(config: EngineConfig, folder: Path, settings: Settings) -> Iterator[EngineMaker]:
    """What :func:`open_engine` gives, for each data set loaded of ``folder`` while the command lasts
    (``train all`` loads each pipeline's tables in turn: one Dask cluster serves them all)."""
    parquet = is_parquet_folder(folder)
    if not parquet and config.is_dask:
        raise EngineError(f"{folder}: the dask engine reads Parquet tables; this folder holds CSV files")
    if not config.is_dask:
        yield lambda dataset: _local_engine(config, folder, dataset, settings, parquet)
        return
    try:
        from features.dask_engine import dask_client
    except ImportError as exc:  # an optional extra: the service and the local engine never need it
        raise EngineError(f"the dask engine needs Dask: pip install -e '.[dask]' ({exc})") from None
    with dask_client(config) as client:
        yield lambda dataset: _dask_engine(config, folder, dataset, settings, client)


def _local_engine(
    config: EngineConfig, folder: Path, dataset: Dataset, settings: Settings, parquet: bool
) -> BatchEngine:
    sample = sample_of(dataset)
    only = sample.sample if sample is not None else None
    # The command has the data set in memory already: its features cost less than a partitioned build
    # from the files at each cutoff (train all reads ~30 cutoffs). ``--partitions`` asks for the
    # partitioned build (feature memory bounded by a partition).
    partitioned = parquet and config.partitions
    engine = LocalEngine(folder, config, settings, only) if partitioned else InMemoryEngine(dataset)
    if sample is not None:
        engine._everyone = (
            (lambda: LocalEngine(folder, config, settings))
            if parquet
            else (lambda: InMemoryEngine(load_dataset(folder)))
        )
    return engine


def _dask_engine(
    config: EngineConfig, folder: Path, dataset: Dataset, settings: Settings, client: Any
) -> BatchEngine:
    sample = sample_of(dataset)
    engine = DaskEngine(folder, config, settings, client, sample.sample if sample is not None else None)
    if sample is not None:
        engine._everyone = lambda: DaskEngine(folder, config, settings, client)
    return engine
