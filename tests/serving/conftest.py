"""A trained Cible home for the service tests: segments, recommender and intent champions on the small
synthetic shop, a materialised online store and one API key per scope. Built once per test worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from features.dataset import Dataset
from features.online_store.factory import open_store
from features.settings import Settings
from serving.auth import create_key
from tests.training.predictive_data import FAST
from training.intent.config import IntentConfig
from training.intent.train import train_intent
from training.materialize import materialize
from training.predictive.train import train_target
from training.recommend.config import NboConfig
from training.recommend.train import MODEL_NAME as RECOMMENDER
from training.recommend.train import train_nbo
from training.registry import CHAMPION
from training.segments.config import SegmentsConfig
from training.segments.train import train_segments
from training.tracking import connect

SMALL_NBO = NboConfig(train_windows=2, max_train_customers=400, n_estimators=40, num_leaves=7, n_jobs=1)
SMALL_INTENT = IntentConfig(n_training_cutoffs=2, num_boost_round=60)


@dataclass(frozen=True)
class Served:
    settings: Settings
    dataset: Dataset
    as_of: pd.Timestamp
    keys: dict[str, str]  # scope name -> plain key

    def headers(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


@pytest.fixture(scope="session")
def served_home(small_synthetic: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("served") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIBLE_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("CIBLE_ONLINE_STORE", raising=False)
        settings = Settings.from_env()
        as_of = small_synthetic.default_as_of()
        train_segments(small_synthetic, as_of, settings, SegmentsConfig(seed=0))
        run = train_nbo(small_synthetic, as_of, settings, SMALL_NBO)
        if not run.decision.promoted:  # the gate is tested elsewhere; the service needs a live model
            connect(settings).set_registered_model_alias(RECOMMENDER, CHAMPION, run.version)
        train_target(small_synthetic, as_of, settings, "churn", FAST)  # profiles show risk and reasons
        intent = train_intent(small_synthetic, as_of, settings, SMALL_INTENT)
        if not intent.decision.promoted:
            connect(settings).set_registered_model_alias("intent", CHAMPION, intent.version)
        store = open_store(settings)
        materialize(small_synthetic, as_of, settings, store)
        store.close()
        keys_file = settings.home / "api_keys.yaml"
        keys = {scope: create_key(keys_file, scope, [scope]) for scope in ("site", "crm", "admin")}
        yield Served(settings, small_synthetic, as_of, keys)


@pytest.fixture(scope="session")
def client(served_home: Served) -> Iterator[TestClient]:
    """The service's own ASGI app (BentoML routes, mounted CRM app, middlewares) in this process."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIBLE_HOME", str(served_home.settings.home))
        mp.setenv("CIBLE_RELOAD_SECONDS", "0")
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        from serving.service import Cible

        with TestClient(Cible.to_asgi()) as test_client:
            yield test_client
    os.environ.pop("CIBLE_DATA", None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # one worker builds the trained home once and runs every service test
    for item in items:
        if Path(str(item.fspath)).parent.name == "serving":
            item.add_marker(pytest.mark.xdist_group("serving"))
