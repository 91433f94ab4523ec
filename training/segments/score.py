"""Scoring with the champion segmentation model: memberships of every customer at a date, stored."""

from __future__ import annotations

import pandas as pd

from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.errors import NoChampionError
from features.segments.memberships import MembershipStore
from features.settings import Settings
from training.segments.train import load_champion
from training.tracking import connect


def assign_segments(dataset: Dataset, as_of: pd.Timestamp, settings: Settings) -> tuple[pd.DataFrame, str]:
    champion = load_champion(connect(settings))
    if champion is None:
        raise NoChampionError("no champion segmentation model yet: run `cible train segments` first")
    model, version = champion
    memberships = model.predict(build_customer_features(dataset, as_of))
    MembershipStore(settings.segments_dir).save(memberships, as_of, version)
    return memberships, version
