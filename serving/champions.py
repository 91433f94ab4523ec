"""The champion of each registered model, loaded once and swapped when its alias moves.

A new version is loaded beside the live one and replaces it only once loaded: if it fails to load, or the
registry cannot be reached, the live version keeps serving and the error shows in ``/readyz``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

CHAMPION = "champion"
log = logging.getLogger(__name__)

# Models the request path uses; the others' scores come precomputed through the online store.
SERVED = ("recommender", "intent")
BATCH = ("segments", "churn", "propensity", "value", "next_order", "offer_response")


@dataclass(frozen=True)
class Live:
    name: str
    version: str
    model: Any
    loaded_at: float


@dataclass
class Slot:
    live: Live | None = None
    error: str | None = None
    checked_at: float | None = None


def mlflow_loader(tracking_uri: str) -> Callable[[str], Any]:
    def load(uri: str) -> Any:
        import mlflow.sklearn

        # models:/ URIs resolve through the process-wide registry URI
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        return mlflow.sklearn.load_model(uri)

    return load


def _alias_version(tracking_uri: str) -> Callable[[str], str | None]:
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    def version(name: str) -> str | None:
        try:
            return str(client.get_model_version_by_alias(name, CHAMPION).version)
        except MlflowException as exc:  # no such model or alias yet: not an outage
            if "RESOURCE_DOES_NOT_EXIST" in str(exc.error_code) or "not found" in str(exc).lower():
                return None
            raise

    return version


@dataclass
class Champions:
    tracking_uri: str
    served: Sequence[str] = SERVED
    batch: Sequence[str] = BATCH
    loader: Callable[[str], Any] | None = None
    version_of: Callable[[str], str | None] | None = None
    check: Callable[[str, Any], None] = lambda _name, _model: None
    slots: dict[str, Slot] = field(default_factory=dict)
    batch_versions: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.slots = {name: Slot() for name in self.served}
        self.loader = self.loader or mlflow_loader(self.tracking_uri)
        self._lock = threading.Lock()

    def model(self, name: str) -> Live | None:
        return self.slots[name].live

    def refresh(self) -> dict[str, str]:
        """Load every champion whose alias moved; returns what changed (name -> version)."""
        with self._lock:  # one refresh at a time: the poller and an admin reload may overlap
            if self.version_of is None:
                try:
                    self.version_of = _alias_version(self.tracking_uri)
                except Exception as exc:
                    self._fail_all(f"registry unreachable: {exc}")
                    return {}
            changed = {}
            for name in self.served:
                if self._refresh_one(name):
                    changed[name] = self.slots[name].live.version  # type: ignore[union-attr]
            for name in self.batch:
                try:
                    self.batch_versions[name] = self.version_of(name)
                except Exception as exc:
                    log.warning("registry: %s", exc)
            return changed

    def _refresh_one(self, name: str) -> bool:
        slot = self.slots[name]
        slot.checked_at = time.time()
        assert self.version_of is not None
        try:
            version = self.version_of(name)
        except Exception as exc:
            slot.error = f"registry unreachable: {type(exc).__name__}: {exc}"[:300]
            return False
        if version is None or (slot.live is not None and slot.live.version == version):
            slot.error = None if version is not None else f"no {name}@{CHAMPION} in the registry"
            return False
        try:
            # by version number, not alias: the alias may move again while this loads
            model = self.loader(f"models:/{name}/{version}")  # type: ignore[misc]
            self.check(name, model)
        except Exception as exc:
            slot.error = f"v{version} failed to load, keeping the live one: {type(exc).__name__}: {exc}"[:300]
            log.exception("could not load %s v%s", name, version)
            return False
        slot.live, slot.error = Live(name, version, model, time.time()), None
        log.info("%s v%s is live", name, version)
        return True

    def _fail_all(self, message: str) -> None:
        for slot in self.slots.values():
            slot.error = message[:300]

    def status(self) -> tuple[bool, dict[str, Any]]:
        """Ready when the recommender is live (the other served models degrade one endpoint each)."""
        models = {
            name: {
                "version": slot.live.version if slot.live else None,
                "error": slot.error,
            }
            for name, slot in self.slots.items()
        }
        ready = self.slots["recommender"].live is not None if "recommender" in self.slots else True
        return ready, {"models": models, "batch_models": dict(self.batch_versions)}

    def poll(self, every_seconds: float, stop: threading.Event) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(every_seconds):
                try:
                    self.refresh()
                except Exception:  # the poller must outlive any registry hiccup
                    log.exception("champion refresh failed")

        thread = threading.Thread(target=loop, name="champion-poller", daemon=True)
        thread.start()
        return thread
