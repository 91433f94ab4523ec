"""One ``cible train nbo`` run: fit the ranker on earlier windows, evaluate Cible, the champion and the
baselines on the latest window, gate, refit the aggregates up to ``as_of``, log and register."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient

from features.dataset import Dataset
from features.memory import give_back
from features.recommend.candidates import FEATURES
from features.recommend.catalogue import Catalogue
from features.recommend.encoded import encoded
from features.recommend.recommender import RECOMMENDER_FEATURES_V3, Recommender
from features.settings import Settings
from training.recommend.config import NboConfig
from training.recommend.evaluate import CIBLE, NDCG, Evaluation, evaluate
from training.recommend.ranker import fit_ranker
from training.recommend.report import flat_metrics, markdown, metrics_table, ndcg_chart
from training.recommend.split import Cutoffs
from training.registry import GateDecision, decide, log_and_register
from training.registry import load_champion as load_registered
from training.tracking import connect, training_run

MODEL_NAME = "recommender"
EXPERIMENT = "recommender"
CHAMPION_RUN = "champion"


@dataclass(frozen=True)
class NboRun:
    run_id: str
    version: str
    decision: GateDecision
    evaluation: Evaluation
    cutoffs: Cutoffs
    model: Recommender


def load_champion(client: MlflowClient) -> Recommender | None:
    found = load_registered(client, MODEL_NAME)
    return found[0] if found else None


def gate(evaluation: Evaluation, margin: float) -> GateDecision:
    """Promote only a candidate that beats the best baseline and the champion on the same window."""
    candidate = evaluation.scores[CIBLE][NDCG]
    champion = evaluation.scores.get(CHAMPION_RUN, {}).get(NDCG)
    baseline, best = evaluation.best_baseline()
    if candidate <= best:
        reason = f"candidate {NDCG}={candidate:.4f} does not beat the best baseline {baseline} ({best:.4f})"
        return GateDecision(False, reason, NDCG, candidate, champion)
    return decide(NDCG, candidate, champion, margin)


def _log_artifacts(evaluation: Evaluation, ranker, cutoffs: Cutoffs) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table = metrics_table(evaluation)
        table.to_csv(folder / "evaluation.csv")
        (folder / "evaluation.md").write_text(markdown(table) + "\n")
        ndcg_chart(evaluation, folder / "ndcg_at_10.png")
        importance = pd.Series(ranker.booster_.feature_importance("gain"), index=list(FEATURES))
        importance.sort_values(ascending=False).to_csv(folder / "feature_importance.csv", header=["gain"])
        split = {k: str(v) for k, v in asdict(cutoffs).items()}
        (folder / "split.json").write_text(json.dumps(split, indent=2))
        mlflow.log_artifacts(str(folder))


def train_nbo(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config: NboConfig | None = None,
    progress: Callable[[str], None] | None = None,
    owns_data: bool = False,
) -> NboRun:
    """``owns_data``: nothing else reads ``dataset`` (``train all`` loads each pipeline's own), so its
    orders and events are released once encoded."""
    config = config or NboConfig()
    step = progress or (lambda _name: None)
    client = connect(settings)
    cutoffs = Cutoffs.before(pd.Timestamp(as_of), config.horizon_days)
    if owns_data:
        # every later step reads the orders and events as encoded (features.recommend.encoded): their
        # frames (~1 GB at 100,000 customers) go back before the windows' aggregates and candidates
        encoded(dataset, Catalogue.from_products(dataset.products), release=True)
        give_back()
    step("training the ranker")
    ranker, rows = fit_ranker(dataset, cutoffs.train, cutoffs.validation, config)
    # what is logged of the training rows: their features go before the evaluation builds its own
    trained = {
        "train_groups": float(len(rows.groups)),
        "train_rows": float(len(rows.labels)),
        "candidate_recall": rows.recall,
    }
    del rows
    give_back()
    step("evaluating against the baselines")
    models = {CIBLE: Recommender(config.recommend, ranker)}
    champion = load_champion(client)
    if champion is not None and getattr(champion, "feature_set_", None) != RECOMMENDER_FEATURES_V3:
        # a champion on an older feature set cannot rank today's candidates: the gate treats it as absent
        # and compares the candidate with the baselines only
        champion = None
    if champion is not None:
        models[CHAMPION_RUN] = Recommender(champion.config, champion.ranker)
    evaluation = evaluate(dataset, models, cutoffs.validation, cutoffs.end, config.require_profiling_consent)
    decision = gate(evaluation, config.gate_margin)
    give_back()  # the evaluation's histories and candidates, freed: the last fit starts from what is held
    step("fitting up to as-of")
    model = Recommender(config.recommend, ranker).fit(dataset, as_of)
    step("logging to MLflow")
    with training_run(settings, EXPERIMENT, f"nbo {as_of:%Y-%m-%d}", dataset):
        params = {k: v for k, v in asdict(config).items() if k != "recommend"}
        params.update({f"recommend.{k}": v for k, v in asdict(config.recommend).items()})
        mlflow.log_params({**params, "as_of": str(as_of), "feature_set": model.feature_set_})
        mlflow.log_metrics(
            {
                **flat_metrics(evaluation),
                "evaluated_customers": float(evaluation.customers),
                **trained,
            }
        )
        _log_artifacts(evaluation, ranker, cutoffs)
        version = log_and_register(client, model, MODEL_NAME, decision)
        mlflow.set_tags(decision.as_tags())
        run_id = mlflow.active_run().info.run_id
    return NboRun(run_id, str(version.version), decision, evaluation, cutoffs, model)
