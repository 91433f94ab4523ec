"""Shared by the recommender experiments: train the ranker, score Cible and the baselines on one split,
write the table into ``experiments/RESULTS_recommend.md`` under the experiment's own heading."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from features.dataset import Dataset
from features.recommend.recommender import Recommender
from training.recommend.config import NboConfig
from training.recommend.evaluate import CIBLE, NDCG, Evaluation, evaluate
from training.recommend.ranker import fit_ranker
from training.recommend.report import markdown, metrics_table
from training.recommend.split import Cutoffs

RESULTS = Path(__file__).resolve().parent / "RESULTS_recommend.md"
NO_RANKER = "cible_without_ranker"
TITLE = "# Recommender: Cible vs baselines\n"


@dataclass(frozen=True)
class Comparison:
    evaluation: Evaluation
    cutoffs: Cutoffs
    seconds: float
    train_groups: int
    candidate_recall: float


def compare(dataset: Dataset, cutoffs: Cutoffs, config: NboConfig) -> Comparison:
    started = time.perf_counter()
    ranker, rows = fit_ranker(dataset, cutoffs.train, cutoffs.validation, config)
    models = {CIBLE: Recommender(config.recommend, ranker), NO_RANKER: Recommender(config.recommend)}
    evaluation = evaluate(dataset, models, cutoffs.validation, cutoffs.end, config.require_profiling_consent)
    return Comparison(evaluation, cutoffs, time.perf_counter() - started, len(rows.groups), rows.recall)


def describe(comparison: Comparison, command: str) -> str:
    ev, cut = comparison.evaluation, comparison.cutoffs
    baseline, best = ev.best_baseline()
    gain = ev.scores[CIBLE][NDCG] / best - 1.0
    return (
        f"`{command}`\n\n"
        f"Ranker trained on windows ending {cut.validation:%Y-%m-%d} ({comparison.train_groups:,} customer "
        f"groups; the candidates hold {comparison.candidate_recall:.1%} of their next purchases); "
        f"evaluated on purchases from {cut.validation:%Y-%m-%d} to {cut.end:%Y-%m-%d} by "
        f"{ev.customers:,} customers with a history. Top-10 lists before business rules; "
        f"Recall@10 = hits / min(10, items bought).\n\n"
        f"{markdown(metrics_table(ev))}\n\n"
        f"Cible vs the best baseline ({baseline}): NDCG@10 {gain:+.1%} relative. "
        f"Run time {comparison.seconds:.0f} s on this machine."
    )


def write_section(name: str, text: str) -> None:
    """Replace this experiment's section of the results file, keeping the others."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{text}\n{end}"
    current = RESULTS.read_text() if RESULTS.exists() else TITLE
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    updated = (
        pattern.sub(lambda _m: section, current) if pattern.search(current) else f"{current}\n{section}\n"
    )
    RESULTS.write_text(updated)
