"""Replay of the retargeting lists on the synthetic retailer: lists built at weekly cutoffs, outcomes read
from what happened in the 7 days after each.

    .venv/bin/python -m experiments.retarget_replay [--customers 5000] [--months 12] [--cutoffs 4]

The intent, propensity, churn and value models are trained once, at the first cutoff (nothing at or after
it read), in a private Cible home; the lists are then built at that cutoff and the following weekly ones.
Per trigger: the 7-day purchase rate of the customers put on a message or call list against those of the
same trigger left off (for any reason: consent, pressure cap, not worth a contact), and the precision and
lift of the score's own ranking at the list size (the top k by probability among the trigger's candidates,
k = the number listed; lift = precision / the trigger's purchase rate). The synthetic campaigns after the
cutoff are the generator's, not these lists: this measures who is targeted, not the contacts' uplift.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.load import load_dataset
from features.privacy.rules import PrivacyRules
from features.retarget.config import TRIGGERS, load_config
from features.retarget.decide import CONTACT, NOT_WORTH_IT, STATUS
from features.retarget.triggers import PROBABILITY, TRIGGER
from features.settings import Settings
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic
from training.intent.score import score_intent
from training.intent.train import train_intent
from training.predictive.config import PredictiveConfig
from training.predictive.score import score_customers
from training.predictive.train import train_target
from training.retarget.lists import build_lists

COMMAND = ".venv/bin/python -m experiments.retarget_replay"
HORIZON = pd.Timedelta(days=7)
PREDICTIVE = PredictiveConfig(value_horizon_days=120, n_jobs=1, shap_sample=300)


def cutoffs(dataset: Dataset, n: int) -> list[pd.Timestamp]:
    """``n`` weekly cutoffs at 14:00, the last one a week before the end of the data (its outcomes known)."""
    last = (dataset.default_as_of() - HORIZON).normalize() - pd.Timedelta(days=1) + pd.Timedelta(hours=14)
    return [last - k * HORIZON for k in reversed(range(n))]


def bought_within(dataset: Dataset, ids: pd.Series, at: pd.Timestamp) -> np.ndarray:
    orders = dataset.orders
    window = orders[
        (orders[c.ORDERED_AT] >= at) & (orders[c.ORDERED_AT] < at + HORIZON) & (orders[c.QUANTITY] > 0)
    ]
    return ids.isin(set(window[c.CUSTOMER_ID].dropna())).to_numpy()


def replay_at(dataset: Dataset, at: pd.Timestamp, settings: Settings) -> pd.DataFrame:
    """One row per triggered customer at ``at``: trigger, probability, decision, bought in the week."""
    intent = score_intent(dataset, at, settings)
    scores = score_customers(dataset, at, settings)
    lists = build_lists(dataset, at, load_config(), "replay", intent, scores)
    out = lists.decisions[[c.CUSTOMER_ID, TRIGGER, PROBABILITY, STATUS]].copy()
    out["listed"] = (out[STATUS] == CONTACT).to_numpy()
    out["bought"] = bought_within(dataset, out[c.CUSTOMER_ID], at)
    out["cutoff"] = at
    return out


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    out = []
    for trigger in TRIGGERS:
        group = rows[rows[TRIGGER] == trigger]
        if group.empty:
            continue
        on, off = group[group["listed"]], group[~group["listed"]]
        # left off by the score (reachable, but not worth a contact) vs by consent or the pressure cap
        by_score = group[group[STATUS] == NOT_WORTH_IT]
        reachable = pd.concat([on, by_score])
        base = group["bought"].mean()
        # the score's own ranking at the list size, cutoff by cutoff (each week's list is its own top k)
        hits = 0
        for _, week in group.groupby("cutoff"):
            k = int(week["listed"].sum())
            hits += int(week.nlargest(k, PROBABILITY)["bought"].sum()) if k else 0
        k_total = len(on)
        precision = hits / k_total if k_total else float("nan")
        out.append(
            {
                "trigger": trigger,
                "candidates": len(group),
                "listed": k_total,
                "rate listed": on["bought"].mean() if len(on) else float("nan"),
                "rate left off": off["bought"].mean() if len(off) else float("nan"),
                "left off by score": len(by_score),
                "rate left off by score": by_score["bought"].mean() if len(by_score) else float("nan"),
                "rate reachable": reachable["bought"].mean() if len(reachable) else float("nan"),
                "rate all": base,
                "precision@k": precision,
                "lift@k": precision / base if base else float("nan"),
            }
        )
    return pd.DataFrame(out)


def _pct(value: float) -> str:
    return "–" if np.isnan(value) else f"{value:.1%}"


def markdown(table: pd.DataFrame, synth: SynthConfig, weeks: list[pd.Timestamp], seconds: float) -> str:
    lines = [
        f"`{COMMAND} --customers {synth.customers} --months {synth.months} --cutoffs {len(weeks)}` "
        f"(seed {synth.seed}; cutoffs {weeks[0]:%Y-%m-%d} to {weeks[-1]:%Y-%m-%d}, 14:00; {seconds:.0f} s)",
        "",
        "| trigger | candidates | listed | bought in 7 d: listed | left off (all) | left off by the score "
        "| reachable | precision@k | lift@k |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in table.to_dict("records"):
        lines.append(
            f"| {row['trigger']} | {row['candidates']:,} | {row['listed']:,} | {_pct(row['rate listed'])} "
            f"| {_pct(row['rate left off'])} | {_pct(row['rate left off by score'])} "
            f"({row['left off by score']:,}) | {_pct(row['rate reachable'])} | {_pct(row['precision@k'])} "
            f"| {row['lift@k']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cutoffs", type=int, default=4)
    args = parser.parse_args()
    synth = SynthConfig(customers=args.customers, months=args.months, seed=args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        write_synthetic(synth, folder)
        home = Path(tmp) / "home"
        settings = Settings(home=home, tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
        dataset = load_dataset(folder, privacy=PrivacyRules(folder=home / "privacy"))
        weeks = cutoffs(dataset, args.cutoffs)
        train_at = weeks[0]
        for target in ("churn", "propensity", "value"):
            train_target(dataset, train_at, settings, target, PREDICTIVE)
        train_intent(dataset, train_at, settings)
        rows = pd.concat([replay_at(dataset, at, settings) for at in weeks], ignore_index=True)
    table = summarise(rows)
    print(markdown(table, synth, weeks, time.perf_counter() - started))


if __name__ == "__main__":
    main()
