"""Uplift models vs the response model on held-out synthetic customers, and against the generator's truth.

Generates the synthetic retailer (``--customers`` x ``--months``, seed ``--seed``) in memory, builds the
uplift rows as ``cible train uplift`` does (assignments of campaigns with a control group in the last
``lookback_days``, outcome = an order in the campaign's window, features at the month start), holds out
the same customers, and scores the T-learner, the transformed-outcome learner, the X-learner and the
response model (P(order | contacted), the T-learner's treated classifier):

- Qini coefficient and uplift@30% (training.uplift.metrics; random targeting = 0), pooled over every
  held-out assignment and within each campaign (customers of one campaign ranked against each other,
  averaged over campaigns by rows: the decision a marketer takes);
- against the truth (``truth/assignments``): for each campaign, the top 30% of its held-out customers by
  each score; true incremental orders = sum of ``converts_if_treated - converts_if_control``; true
  incremental margin = those orders x the mean margin of a campaign-credited order in the data - the
  offer's cost (catalogue) per contact.

    .venv/bin/python -m experiments.campaigns_uplift [--customers 20000] [--months 12] [--seed 42]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from features import columns as c
from features.campaigns.results import offer_cost
from features.campaigns.uplift_model import LEARNERS
from features.dataset import Dataset, line_margins
from features.offers.catalogue import DEFAULT_CATALOGUE, load_catalogue
from features.synth.config import SynthConfig
from features.synth.generate import generate
from training.uplift.metrics import qini_coefficient, uplift_at
from training.uplift.rows import uplift_rows
from training.uplift.train import CONVERTED, TREATED, UpliftConfig, fit_learners, split_rows

SHARE = 0.3


def within(score: np.ndarray, rows: pd.DataFrame) -> tuple[float, float]:
    q = a = n = 0.0
    y, w = rows[CONVERTED].to_numpy(int), rows[TREATED].to_numpy(bool)
    for idx in rows.groupby(c.CAMPAIGN_ID).indices.values():
        if w[idx].all() or not w[idx].any():
            continue
        q += qini_coefficient(score[idx], y[idx], w[idx]) * len(idx)
        a += uplift_at(score[idx], y[idx], w[idx], SHARE) * len(idx)
        n += len(idx)
    return q / n, a / n


def top_share_truth(score: np.ndarray, rows: pd.DataFrame, order_margin: float) -> tuple[float, float]:
    """True incremental orders and margin of targeting each campaign's top 30% by ``score``."""
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    orders = margin = 0.0
    for idx in rows.groupby(c.CAMPAIGN_ID).indices.values():
        top = idx[np.argsort(-score[idx], kind="stable")[: max(1, round(SHARE * len(idx)))]]
        gained = float(rows["true_effect"].to_numpy()[top].sum())
        offer = rows[c.OFFER_ID].iloc[idx[0]]
        cost = offer_cost(catalogue, None if offer == "none" else str(offer)) or 0.0
        orders += gained
        margin += gained * order_margin - cost * len(top)
    return orders, margin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    start = time.perf_counter()
    result = generate(SynthConfig(customers=args.customers, months=args.months, seed=args.seed))
    data = Dataset.from_frames(result.tables)
    as_of = pd.Timestamp(SynthConfig().end)
    config = UpliftConfig()
    rows = uplift_rows(data, as_of, config)
    truth = result.truth["assignments"]
    truth = truth.assign(
        true_effect=truth["converts_if_treated"].astype(int) - truth["converts_if_control"].astype(int)
    )
    credited = data.orders[data.orders[c.CAMPAIGN_ID].notna() & (data.orders[c.QUANTITY] > 0)]
    order_margin = float(
        pd.Series(line_margins(credited, data.products)).groupby(credited[c.ORDER_ID].to_numpy()).sum().mean()
    )
    train, test = split_rows(rows, config)
    # the truth joins the held-out rows only after the models are fitted: it must never be a feature
    keys = [c.CAMPAIGN_ID, c.CUSTOMER_ID]
    effect = test[keys].merge(truth[[*keys, "true_effect"]], on=keys, how="left")["true_effect"]
    y, w = test[CONVERTED].to_numpy(int), test[TREATED].to_numpy(bool)
    models = fit_learners(train, LEARNERS, config)
    scores = {name: m.uplift(test, test[c.OFFER_ID], test[c.CHANNEL]) for name, m in models.items()}
    scores["response_model"] = models["t_learner"].response(test, test[c.OFFER_ID], test[c.CHANNEL])
    test = test.assign(true_effect=effect.to_numpy())
    scores["truth (oracle)"] = test["true_effect"].to_numpy(float)
    scores["random"] = np.random.default_rng(0).random(len(test))
    print(
        f"{args.customers:,} customers x {args.months} months, seed {args.seed}: {len(rows):,} assignments, "
        f"{len(test):,} of held-out customers; observed effect {y[w].mean() - y[~w].mean():+.2%}; "
        f"mean margin of a campaign order {order_margin:.2f} EUR; {time.perf_counter() - start:.0f} s"
    )
    print(
        "| ranking | Qini (pooled) | uplift@30% (pooled) | Qini (within campaign) | uplift@30% (within) "
        "| true incremental orders, top 30% | true incremental margin, top 30% (EUR) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, s in scores.items():
        q_in, a_in = within(s, test)
        orders, margin = top_share_truth(s, test, order_margin)
        print(
            f"| {name} | {qini_coefficient(s, y, w):+.5f} | {uplift_at(s, y, w, SHARE):+.2%} | {q_in:+.5f} | "
            f"{a_in:+.2%} | {orders:,.0f} | {margin:,.0f} |"
        )
    corr = {
        n: float(np.corrcoef(s, test["true_effect"])[0, 1]) for n, s in scores.items() if "oracle" not in n
    }
    print(
        "correlation with the true individual effect: " + ", ".join(f"{n} {v:+.3f}" for n, v in corr.items())
    )


if __name__ == "__main__":
    main()
