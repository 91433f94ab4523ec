"""Where Cible keeps its files and which stores it talks to. Read from the environment when asked (never at
import time), so tests and commands can point a run anywhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from features.errors import CibleError

HOME_ENV = "CIBLE_HOME"
TRACKING_ENV = "MLFLOW_TRACKING_URI"
TRAIN_CUSTOMERS_ENV = "CIBLE_TRAIN_CUSTOMERS"
# Training quality levels off well below this; a larger data set is trained on a sample this size
# (features.train_sample), while scoring and materialisation cover every customer.
DEFAULT_TRAIN_CUSTOMERS = 100_000
PARTITION_CUSTOMERS_ENV = "CIBLE_PARTITION_CUSTOMERS"
# ``cible score`` and ``cible materialize`` load a data set holding more customers than this one customer
# partition at a time (features.customer_partitions). A partition of 25,000 customers (24 months) is
# ~560 MB of frames and peaks ~1.1 GB above that in materialize; partitions of 10,000 keep 100,000
# customers within 1.5 GB (score 1.2 GB, materialize 1.29 GB), for 5-10% more CPU than one partition
# (experiments/RESULTS_scale.md, session 22).
DEFAULT_PARTITION_CUSTOMERS = 10_000


class SettingError(CibleError, ValueError):
    """A setting given in the environment or on the command line is not a valid value."""


def parse_partition_customers(value: str, source: str) -> int:
    """A number of customers per partition (at least 1)."""
    text = value.strip().replace(",", "").replace("_", "")
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise SettingError(f"{source} {value!r}: give a number of customers per partition (1 or more)")
    return count


def parse_train_customers(value: str, source: str) -> int | None:
    """A number of customers to train on, or every customer (``0`` or ``all``: None)."""
    text = value.strip().lower().replace(",", "").replace("_", "")
    if text == "all":
        return None
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise SettingError(f"{source} {value!r}: give a number of customers, or 0 or all for every customer")
    return count or None


@dataclass(frozen=True)
class Settings:
    """Cible's data home (``CIBLE_HOME``, default ``./.cible``), the MLflow tracking URI, how many
    customers training reads (``CIBLE_TRAIN_CUSTOMERS``) and how many customers scoring and
    materialisation load at a time (``CIBLE_PARTITION_CUSTOMERS``).

    The tracking URI defaults to a SQLite file in the data home, and artifacts always go under the
    data home too, so a fresh machine needs no server and nothing lands in ``./mlruns``.
    """

    home: Path
    tracking_uri: str
    # customers training reads at most (a sample of a larger data set); None: every customer
    train_customers: int | None = DEFAULT_TRAIN_CUSTOMERS
    # customers per partition of ``cible score`` and ``cible materialize`` (one partition when fewer)
    partition_customers: int = DEFAULT_PARTITION_CUSTOMERS

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get(HOME_ENV, ".cible")).resolve()
        uri = os.environ.get(TRACKING_ENV) or f"sqlite:///{home / 'mlflow.db'}"
        if uri.startswith("postgresql://"):
            # SQLAlchemy 2.1 maps a bare postgresql:// to the psycopg 3 driver; Cible ships psycopg2.
            uri = "postgresql+psycopg2://" + uri.removeprefix("postgresql://")
        sample = os.environ.get(TRAIN_CUSTOMERS_ENV)
        train_customers = (
            parse_train_customers(sample, TRAIN_CUSTOMERS_ENV) if sample else DEFAULT_TRAIN_CUSTOMERS
        )
        per_part = os.environ.get(PARTITION_CUSTOMERS_ENV)
        partition_customers = (
            parse_partition_customers(per_part, PARTITION_CUSTOMERS_ENV)
            if per_part
            else DEFAULT_PARTITION_CUSTOMERS
        )
        return cls(
            home=home,
            tracking_uri=uri,
            train_customers=train_customers,
            partition_customers=partition_customers,
        )

    @property
    def default_data(self) -> Path:
        return self.home / "data" / "synthetic"

    @property
    def artifact_root(self) -> Path:
        return self.home / "mlartifacts"

    @property
    def segments_dir(self) -> Path:
        """Stored segment memberships, one file per scoring run (for entered/exited diffs)."""
        return self.home / "segments"

    @property
    def audiences_dir(self) -> Path:
        return self.home / "audiences"

    @property
    def reports_dir(self) -> Path:
        """Small report tables written by ``cible materialize`` for the service and its page."""
        return self.home / "reports"

    @property
    def audit_log(self) -> Path:
        return self.home / "privacy" / "audit.jsonl"
