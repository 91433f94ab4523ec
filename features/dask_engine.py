"""The Dask engine: ``dask.dataframe`` over the same Parquet files, run on a ``dask.distributed`` cluster.

The work is the local engine's, in the same functions (:mod:`features.customer_features.partitioned`):
workers read their row groups, slice them at the cutoff, tag each row with its customer's partition and
write them by partition to a shared folder (:mod:`features.customer_features.shared_split`); one task per
customer partition reads its rows of every table and turns them into features with
:func:`~features.customer_features.partitioned.features_of_part`. The client reads only the customers
table and small reductions (visitors' latest logins, sessions shared by customers).

Import this module only when the engine is ``dask``: it imports Dask.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import dask
import dask.dataframe as dd
import pandas as pd
import pyarrow.parquet as pq
from dask.utils import parse_bytes
from distributed import Client, LocalCluster
from distributed.system import MEMORY_LIMIT

from features import columns as c
from features.customer_features.build import FEATURE_COLUMNS, GROUPS, feature_groups, tables_read
from features.customer_features.partitioned import (
    LOGIN_COLUMNS,
    PART,
    SPLIT_TABLES,
    PartitionPlan,
    batch_logins,
    combine_parts,
    default_partitions,
    eligible_customers,
    event_bounds,
    features_of_part,
    merge_bounds,
    merge_logins,
    slice_batch,
    start_plan,
    tag_batch,
    tag_events,
)
from features.customer_features.shared_split import read_part, write_chunk
from features.customer_features.streamed import read_whole
from features.engine import MEMORY_ENV, SHARED_ENV, EngineConfig, EngineError
from features.io import find_table_file
from features.memory import give_back
from features.privacy.rules import PrivacyRules
from features.schema import TABLES
from features.validate import typed_columns


@contextmanager
def dask_client(config: EngineConfig) -> Iterator[Client]:
    """A client of the configured scheduler, or of a local cluster of worker processes started (and
    stopped) for the command. An unreachable scheduler is a one-line :class:`EngineError`."""
    if config.scheduler:
        try:
            client = Client(config.scheduler, timeout=config.connect_timeout_seconds, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError(
                f"cannot reach the Dask scheduler at {config.scheduler} ({type(exc).__name__}: {exc}); "
                "is `dask scheduler` running there and the port open?"
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=config.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=worker_memory(config),
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def worker_memory(config: EngineConfig) -> int:
    """Bytes each worker of a local cluster may hold before it spills to disk (at 70%) and pauses (at
    80%): its share of ``config.memory``, by default of half the machine's. Dask's own default gives
    every worker the machine's memory divided by the workers: the task shuffle of 1 M customers (before
    the split through files) then held 19 GB in one worker (experiments/RESULTS_scale.md)."""
    if config.memory is None:
        total = MEMORY_LIMIT // 2
    else:
        try:
            total = parse_bytes(config.memory)
        except ValueError:
            raise EngineError(
                f"{MEMORY_ENV}={config.memory!r} is not a size (use e.g. 8GiB or 4GB)"
            ) from None
    return max(1, total // max(1, config.workers))


def _read(path: Path | None, table: str, columns: tuple[str, ...]) -> dd.DataFrame | None:
    """Only ``columns`` of a table file, typed as the validator types them (a file may hold text); one
    Dask partition per row group: Dask's default joins row groups (5.1 M events a partition at 100,000
    customers, a task of 1.5 GB), and a task's memory is that of its partition."""
    if path is None:
        return None
    present = [col for col in columns if col in pq.read_schema(path).names]
    frame = dd.read_parquet(str(path), columns=present, split_row_groups=True)
    meta = typed_columns(TABLES[table], frame._meta)
    return frame.map_partitions(typed_columns_of, table, meta=meta)


def typed_columns_of(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return typed_columns(TABLES[table], frame)


def collect(frame: dd.DataFrame, client: Client) -> list[pd.DataFrame]:
    """Each partition of ``frame`` computed, brought to the client (small reductions only)."""
    return client.gather(client.compute(frame.to_delayed()))


def split_folder() -> tempfile.TemporaryDirectory[str]:
    """A new folder for a build's split rows, in ``CIBLE_DASK_SHARED`` (default: the system's temporary
    folder); removed by its ``cleanup``, at the end of its ``with`` block, or when it is collected."""
    return tempfile.TemporaryDirectory(prefix=".cible-dask-split-", dir=os.environ.get(SHARED_ENV) or None)


def _split(rows: dd.DataFrame, folder: Path, parts: int) -> list:
    """Each partition of tagged ``rows`` written by customer partition to its file in ``folder`` (tasks,
    not computed yet, each giving its file's path)."""
    write = dask.delayed(_write, pure=True)
    return [write(chunk, folder / f"{i}.arrow", parts) for i, chunk in enumerate(rows.to_delayed())]


def _write(chunk: pd.DataFrame, path: Path, parts: int) -> Path:
    written = write_chunk(chunk, path, parts)
    del chunk
    give_back()  # a worker's freed pages back to the system: its nanny counts them as held
    return written


def _part_features(part: int, files: dict, products, as_of, rules, now, plan, groups) -> pd.DataFrame:
    by_name = {name: read_part(paths, part) for name, paths in files.items()}
    features = features_of_part(by_name, products, as_of, rules, now, plan.mixed_sessions, groups)
    del by_name
    give_back()
    return features


def build_features_dask(
    folder: Path,
    as_of: pd.Timestamp,
    rules: PrivacyRules,
    now: pd.Timestamp,
    client: Client,
    parts: int | None = None,
    progress: Callable[[str], None] | None = None,
    groups: Collection[str] = GROUPS,
) -> pd.DataFrame:
    """Features of every customer of a Parquet data folder (validated), computed on the cluster of
    ``client``: the profile and ``groups`` (all by default); equal to the local engine's."""
    with split_folder() as work:
        features = feature_partitions(
            folder, as_of, rules, now, client, Path(work), parts, progress, groups=groups
        )
        return combine_parts(collect(features, client))


def feature_partitions(
    folder: Path,
    as_of: pd.Timestamp,
    rules: PrivacyRules,
    now: pd.Timestamp,
    client: Client,
    work: Path,
    parts: int | None = None,
    progress: Callable[[str], None] | None = None,
    only: pd.Index | None = None,
    groups: Collection[str] = GROUPS,
) -> dd.DataFrame:
    """The features as a Dask frame with one partition per customer partition (not computed yet: the
    plan's small reductions are). A batch command persists it to apply its models where it lies.
    ``work``: a folder the client and the workers share, for the rows split by partition; it must last
    as long as the frame may be computed (a lost worker's partitions are built again from it).
    ``only``: the customers to build (a training sample; the rows of others go as they are tagged).
    ``groups``: the feature groups built (all by default); only the tables they read are read and split
    (no pass over the events without the web group)."""
    step = progress or (lambda _name: None)
    groups = feature_groups(groups)
    tables = tables_read(groups)
    files = {name: find_table_file(folder, name) if name in tables else None for name in TABLES}
    step("planning partitions")
    customers = eligible_customers(read_whole(files["customers"], "customers"), as_of, rules, now, only)
    plan = start_plan(customers, as_of, parts or default_partitions(len(customers)), rules, now)
    products = read_whole(find_table_file(folder, "products"), "products")
    events = _read(files["events"], "events", FEATURE_COLUMNS["events"])
    if events is not None:
        logins = events[list(LOGIN_COLUMNS)].map_partitions(
            batch_logins, dask.delayed(plan, pure=True), meta=merge_logins([])
        )
        plan = plan.with_logins(merge_logins(collect(logins, client)))
    known_orders = pd.Index([])
    orders_ids = (
        _read(files["orders"], "orders", (c.ORDER_ID, c.ORDERED_AT)) if "contacts" in tables else None
    )
    if orders_ids is not None:
        placed = orders_ids[orders_ids[c.ORDERED_AT] < as_of][c.ORDER_ID].unique()
        known_orders = pd.Index(client.compute(placed).result())
    if events is not None:
        step("finding shared sessions")
        bounds = events.map_partitions(_bounds, as_of, dask.delayed(plan, pure=True), meta=merge_bounds([]))
        plan = plan.with_mixed_sessions(merge_bounds(collect(bounds, client)))
    step("splitting rows by customer partition")
    plan_ref = dask.delayed(plan, pure=True)  # one copy in the graph, not one per task
    # Only the contacts need the orders placed (a conversion is known once its order is), and as data
    # fetched once by each worker: an argument is sent with every task (millions of ids at 1 M customers).
    known_ref = dask.delayed(known_orders, pure=True)
    # The customers are on the client already: written from here.
    written: dict[str, list] = {
        "customers": [
            write_chunk(tag_batch("customers", customers, plan), work / "customers" / "0.arrow", plan.parts)
        ]
    }
    metas = {"customers": tag_batch("customers", customers.iloc[:0], plan)}
    for table in ("orders", "events", "contacts", "consents"):
        frame = _read(files[table], table, FEATURE_COLUMNS[table])
        if frame is None:
            continue
        metas[table] = tag_batch(table, slice_batch(table, frame._meta, as_of, known_orders), plan)
        known = known_ref if table == "contacts" else None
        rows = frame.map_partitions(_tag, table, as_of, known, plan_ref, meta=metas[table])
        written[table] = _split(rows, work / table, plan.parts)
    names = [name for name in SPLIT_TABLES if name in written]
    empty = {name: metas[name].drop(columns=[PART]) for name in names}
    meta = features_of_part(empty, products, as_of, rules, now, plan.mixed_sessions, groups)
    step("features of every partition")
    # Every partition's task depends on every chunk's write; one copy of each argument in the graph.
    shared = {
        name: dask.delayed(value, pure=True) for name, value in (("products", products), ("rules", rules))
    }
    build = dask.delayed(_part_features, pure=True)
    tasks = [
        build(
            part,
            {name: written[name] for name in names},
            shared["products"],
            as_of,
            shared["rules"],
            now,
            plan_ref,
            groups,
        )
        for part in range(plan.parts)
    ]
    return dd.from_delayed(tasks, meta=meta, verify_meta=False)


def _tag(frame: pd.DataFrame, table: str, as_of, known_orders, plan: PartitionPlan) -> pd.DataFrame:
    return tag_batch(table, slice_batch(table, frame, as_of, known_orders), plan)


def _bounds(frame: pd.DataFrame, as_of, plan: PartitionPlan) -> pd.DataFrame:
    own, _ = tag_events(slice_batch("events", frame, as_of, None), plan)
    return event_bounds(own, plan)


def check_dask_available() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError as exc:  # an optional extra: the service and the local engine never need it
        raise EngineError(f"the dask engine needs Dask: pip install -e '.[dask]' ({exc})") from None
