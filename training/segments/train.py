"""One segmentation run: fit on point-in-time features, profile, gate against the champion, register, store
memberships of the model that is champion afterwards."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.metrics import silhouette_score

from features.batch_engine import BatchEngine, InMemoryEngine
from features.customer_features.sets import CUSTOMER_FEATURES_V1
from features.dataset import Dataset
from features.segments.behaviour import behaviour_matrix, is_buyer
from features.segments.clusters import CLUSTER_NAME, BehaviourClusters
from features.segments.memberships import MembershipStore
from features.segments.model import SegmentationModel
from features.segments.profile import segment_profile
from features.segments.rfm import RFM_SEGMENT, RFMScorer
from features.segments.rfm_map import grid_markdown
from features.segments.value_tiers import VALUE_TIER, ValueTiers
from features.settings import Settings
from features.train_sample import whole_data
from training.registry import GateDecision, decide, log_and_register
from training.registry import load_champion as load_registered
from training.segments.config import SegmentsConfig
from training.segments.plots import cluster_profiles, rfm_heatmap
from training.tracking import connect, training_run

MODEL_NAME = "segments"
EXPERIMENT = "segments"


@dataclass(frozen=True)
class SegmentsRun:
    run_id: str
    version: str
    decision: GateDecision
    memberships: pd.DataFrame
    metrics: dict[str, float]


def load_champion(client: MlflowClient) -> tuple[SegmentationModel, str] | None:
    return load_registered(client, MODEL_NAME)


def clustering_silhouette(clusters: BehaviourClusters, features: pd.DataFrame, seed: int) -> float:
    """Silhouette of a fitted clustering on ``features``, in its own scaled space (sampled for speed)."""
    buyers = features[is_buyer(features)]
    x = clusters.scaler_.transform(behaviour_matrix(buyers, clusters.columns_))
    labels = clusters.kmeans_.predict(x)
    sample = np.random.default_rng(seed).choice(len(x), size=min(4000, len(x)), replace=False)
    if len(np.unique(labels[sample])) < 2:
        return -1.0
    return float(silhouette_score(x[sample], labels[sample]))


def _metrics(model: SegmentationModel, memberships: pd.DataFrame, features: pd.DataFrame) -> dict[str, float]:
    buyers = is_buyer(features)
    sizes = memberships.loc[buyers, CLUSTER_NAME].value_counts(normalize=True)
    metrics = {
        "customers": float(len(features)),
        "buyers": float(buyers.sum()),
        "k": float(model.clusters_.k_),
        "silhouette": float(model.clusters_.silhouette_),
        "smallest_cluster_share": float(sizes.min()),
        "largest_cluster_share": float(sizes.max()),
    }
    for k, score in model.clusters_.silhouette_by_k_.items():
        metrics[f"silhouette_k{k}"] = score
    for segment, share in memberships[RFM_SEGMENT].value_counts(normalize=True).items():
        metrics[f"rfm_share.{segment}"] = float(share)
    if model.stability_ is not None:
        metrics["stability_vs_champion"] = model.stability_
    return metrics


def _log_artifacts(model: SegmentationModel, memberships: pd.DataFrame, features: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind in (RFM_SEGMENT, CLUSTER_NAME, VALUE_TIER):
            segment_profile(features, memberships, kind).to_csv(folder / f"profile_{kind}.csv", index=False)
        rfm_heatmap(memberships, folder / "rfm_heatmap.png")
        cluster_profiles(
            model.clusters_.profiles_, list(model.clusters_.names_), folder / "cluster_profiles.png"
        )
        (folder / "rfm_grid.md").write_text(grid_markdown())
        names = {int(i): name for i, name in zip(model.clusters_.ids_, model.clusters_.names_, strict=True)}
        (folder / "clusters.json").write_text(json.dumps(names, indent=2, ensure_ascii=False))
        mlflow.log_artifacts(str(folder))


def train_segments(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config: SegmentsConfig | None = None,
    progress: Callable[[str], None] | None = None,
    engine: BatchEngine | None = None,
) -> SegmentsRun:
    """Fit, gate and register a segmentation model on the features at ``as_of`` (built on ``engine``,
    default in memory from ``dataset``), and store the memberships it gives: of every customer of the
    data, also when ``dataset`` is a training sample (then on ``engine.every_customer()``)."""
    config = config or SegmentsConfig()
    step = progress or (lambda _name: None)
    client = connect(settings)
    step("customer features")
    features = (engine or InMemoryEngine(dataset)).features(as_of)
    champion = load_champion(client)
    step("fitting segments")
    model = SegmentationModel(
        rfm=RFMScorer(),
        clusters=BehaviourClusters(
            k_range=(config.k_min, config.k_max),
            min_share=config.min_cluster_share,
            random_state=config.seed,
            min_orders=config.min_orders,
        ),
        tiers=ValueTiers(percentile=config.value_percentile),
        feature_set=CUSTOMER_FEATURES_V1.key,
    ).fit(features, champion=champion[0] if champion else None)
    memberships = model.predict(features)
    metrics = _metrics(model, memberships, features)
    champion_score = clustering_silhouette(champion[0].clusters_, features, config.seed) if champion else None
    if metrics["silhouette"] < config.silhouette_floor:
        decision = GateDecision(
            False,
            f"silhouette {metrics['silhouette']:.3f} is under the floor {config.silhouette_floor}",
            "silhouette",
            metrics["silhouette"],
            champion_score,
        )
    else:
        decision = decide("silhouette", metrics["silhouette"], champion_score, -config.stability_margin)
    step("logging to MLflow")
    with training_run(settings, EXPERIMENT, f"segments {as_of:%Y-%m-%d}", dataset):
        mlflow.log_params({**asdict(config), "as_of": str(as_of), "feature_set": CUSTOMER_FEATURES_V1.key})
        mlflow.log_metrics(metrics)
        _log_artifacts(model, memberships, features)
        version = log_and_register(client, model, MODEL_NAME, decision)
        mlflow.set_tags(decision.as_tags())
        run_id = mlflow.active_run().info.run_id
    if not decision.promoted and champion is not None:
        live, live_version = champion
        memberships = live.predict(features)
    else:
        live, live_version = model, str(version.version)
    step("storing memberships")
    stored = memberships
    if whole_data(dataset).sampled:  # trained on a sample: the memberships stored are every customer's
        # a partition's features at a time, none kept: every customer's features would be the largest
        # frame of the run (GBs at a million customers), only ever read here
        stored = (engine or InMemoryEngine(dataset)).every_customer().apply_once(as_of, predicted, model=live)
    MembershipStore(settings.segments_dir).save(stored, as_of, live_version)
    return SegmentsRun(run_id, str(version.version), decision, memberships, metrics)


def predicted(features: pd.DataFrame, model: SegmentationModel) -> pd.DataFrame:
    """``model``'s memberships of the customers of ``features`` (applied partition by partition)."""
    return model.predict(features)
