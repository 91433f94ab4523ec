"""Where batch work runs: ``local`` (this process, partitioned, the default) or ``dask`` (a Dask cluster).

Chosen with ``--engine`` / ``CIBLE_ENGINE`` and, for Dask, ``--scheduler`` / ``CIBLE_DASK_SCHEDULER``
(``tcp://HOST:PORT`` of a running scheduler; without it a local cluster of worker processes is started
for the command). Dask is imported only when the engine is ``dask``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

from features.errors import CibleError

ENGINE_ENV = "CIBLE_ENGINE"
SCHEDULER_ENV = "CIBLE_DASK_SCHEDULER"
WORKERS_ENV = "CIBLE_DASK_WORKERS"
MEMORY_ENV = "CIBLE_DASK_MEMORY"
# A folder the client and every Dask worker see at the same path, where rows are split by customer
# partition (default: the system's temporary folder, which a local cluster's workers share).
SHARED_ENV = "CIBLE_DASK_SHARED"


class EngineKind(StrEnum):
    LOCAL = "local"
    DASK = "dask"


class EngineError(CibleError):
    """The engine setting is wrong or the cluster cannot be used; the message says which and why."""


@dataclass(frozen=True)
class EngineConfig:
    """The engine of a batch command. ``partitions`` (default: from the number of customers) sets how
    many customer partitions the work is split into; ``workers`` the size of a cluster Cible starts and
    ``memory`` the memory its workers share (a Dask size such as ``8GiB``; default: half the machine's)."""

    kind: EngineKind = EngineKind.LOCAL
    scheduler: str | None = None
    partitions: int | None = None
    workers: int = 2
    memory: str | None = None
    connect_timeout_seconds: float = 10.0

    @classmethod
    def resolve(
        cls, engine: str | None = None, scheduler: str | None = None, partitions: int | None = None
    ) -> EngineConfig:
        """Options first, then the environment, then the defaults; a bad value is a one-line error."""
        name = (engine or os.environ.get(ENGINE_ENV) or EngineKind.LOCAL.value).strip().lower()
        try:
            kind = EngineKind(name)
        except ValueError:
            raise EngineError(f"unknown engine {name!r}: use local or dask") from None
        address = scheduler or os.environ.get(SCHEDULER_ENV) or None
        if address and kind is EngineKind.LOCAL:
            if scheduler:
                raise EngineError("--scheduler needs --engine dask (or CIBLE_ENGINE=dask)")
            address = None  # a scheduler in the environment is for Dask runs only
        if address and not address.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
            raise EngineError(f"scheduler address {address!r} must look like tcp://HOST:PORT")
        if partitions is not None and partitions < 1:
            raise EngineError(f"--partitions must be at least 1, not {partitions}")
        workers = int(os.environ.get(WORKERS_ENV, "2"))
        memory = os.environ.get(MEMORY_ENV) or None
        return cls(kind=kind, scheduler=address, partitions=partitions, workers=workers, memory=memory)

    @property
    def is_dask(self) -> bool:
        return self.kind is EngineKind.DASK

    def describe(self) -> str:
        if not self.is_dask:
            return "local"
        return f"dask ({self.scheduler or f'local cluster of {self.workers} worker processes'})"
