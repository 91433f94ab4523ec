"""Settings of the segmentation pipeline (overridable from a YAML file, see experiments/segments.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from features.config_file import read_settings


@dataclass(frozen=True)
class SegmentsConfig:
    k_min: int = 3
    k_max: int = 9
    min_cluster_share: float = 0.06  # a cluster below this share of customers is too small to act on
    min_orders: int = 2  # cluster profiles are learnt from customers with at least this many orders
    seed: int = 0
    silhouette_floor: float = 0.05  # the gate: a clustering with less structure than this is not registered
    stability_margin: float = 0.02  # a challenger may lose at most this much silhouette to the champion
    value_percentile: float = 0.9
    min_export_size: int = 50  # the seeds warn against segments too small to act on

    @classmethod
    def from_yaml(cls, path: Path) -> SegmentsConfig:
        data = read_settings(path, cls)
        return cls(**data)
