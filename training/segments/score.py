"""Scoring with the champion segmentation model: memberships of every customer at a date, stored."""

from __future__ import annotations

import pandas as pd

from features.batch_engine import BatchEngine, InMemoryEngine
from features.dataset import Dataset
from features.errors import NoChampionError
from features.segments.memberships import MembershipStore
from features.segments.model import SegmentationModel
from features.settings import Settings
from training.segments.train import load_champion
from training.tracking import connect


def memberships_of(features: pd.DataFrame, model: SegmentationModel) -> pd.DataFrame:
    """Segments of each customer of ``features`` (any subset of customers: one row each)."""
    return model.predict(features)


def assign_segments(
    dataset: Dataset, as_of: pd.Timestamp, settings: Settings, engine: BatchEngine | None = None
) -> tuple[pd.DataFrame, str]:
    """Memberships at ``as_of`` by the champion, on ``engine`` (default: in memory, from ``dataset``)."""
    champion = load_champion(connect(settings))
    if champion is None:
        raise NoChampionError("no champion segmentation model yet: run `cible train segments` first")
    model, version = champion
    engine = engine or InMemoryEngine(dataset)
    memberships = engine.apply(as_of, memberships_of, model=model)
    MembershipStore(settings.segments_dir).save(memberships, as_of, version)
    return memberships, version
