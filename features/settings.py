"""Where Cible keeps its files and which stores it talks to. Read from the environment when asked (never at
import time), so tests and commands can point a run anywhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "CIBLE_HOME"
TRACKING_ENV = "MLFLOW_TRACKING_URI"


@dataclass(frozen=True)
class Settings:
    """Cible's data home (``CIBLE_HOME``, default ``./.cible``) and the MLflow tracking URI.

    The tracking URI defaults to a SQLite file in the data home, and artifacts always go under the
    data home too, so a fresh machine needs no server and nothing lands in ``./mlruns``.
    """

    home: Path
    tracking_uri: str

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get(HOME_ENV, ".cible")).resolve()
        uri = os.environ.get(TRACKING_ENV) or f"sqlite:///{home / 'mlflow.db'}"
        if uri.startswith("postgresql://"):
            # SQLAlchemy 2.1 maps a bare postgresql:// to the psycopg 3 driver; Cible ships psycopg2.
            uri = "postgresql+psycopg2://" + uri.removeprefix("postgresql://")
        return cls(home=home, tracking_uri=uri)

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
