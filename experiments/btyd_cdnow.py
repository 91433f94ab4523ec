"""BTYD on CDNOW: Cible's BG/NBD, MBG/NBD and Gamma-Gamma against the published values and `lifetimes`.

Fits each model on the 2,357-customer sample and on the full 23,570-customer cohort (39-week
calibration: purchases up to 1997-09-30, time in weeks) with Cible and with ``lifetimes`` 0.11.3,
printing the parameters side by side with the papers' and the fit times; then scores the 39-week
holdout (1997-10-01 .. 1998-06-30): ROC-AUC of P(alive) and of the expected purchases for "buys again in
the holdout", and predicted against actual holdout purchases and spend.

    .venv/bin/python -m experiments.btyd_cdnow [--master ../shared/data/cdnow/CDNOW_master.txt] [--scale 10]

``lifetimes`` is optional (``pip install -e '.[bench]'``); without it only Cible's side is printed. Its
``calibration_and_holdout_data`` breaks on pandas 3, so the calibration/holdout split is Cible's
:func:`features.btyd.summary.calibration_holdout` for both sides.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features.btyd import (
    BGNBD,
    MBGNBD,
    GammaGamma,
    calibration_holdout,
    customer_lifetime_value,
)
from features.btyd import cdnow_reference as ref
from features.btyd.summary import AGE, FREQUENCY, HOLDOUT_PURCHASES, HOLDOUT_SPEND, MONETARY_VALUE, RECENCY
from features.importers.cdnow import import_cdnow

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_MASTER = PROJECT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
HOLDOUT_WEEKS = ref.HOLDOUT_HORIZON / pd.Timedelta(days=7)


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[Any, float]:
    """The result of ``fn`` and its best wall time over ``repeats`` runs, in seconds."""
    best, result = np.inf, None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return result, best


def lifetimes_available() -> bool:
    try:
        import lifetimes  # noqa: F401
    except ImportError:
        return False
    return True


def check_sample_against_lifetimes(summary: pd.DataFrame) -> None:
    """The sample ids and summaries we rebuild from the master file against those lifetimes ships."""
    from importlib.resources import files

    folder = files("lifetimes") / "datasets"
    with (folder / "CDNOW_sample.txt").open() as handle:
        rows = pd.read_csv(handle, sep=r"\s+", header=None, names=["id", "sample_id", "date", "cds", "usd"])
    shipped_ids = sorted({f"{i:05d}" for i in rows["id"]})
    assert shipped_ids == ref.cdnow_sample_ids(), "the encoded sample ids differ from lifetimes' sample"
    with (folder / "cdnow_customers_summary_with_transactions.csv").open() as handle:
        published = pd.read_csv(handle)
    # Sample ids are numbered by first purchase day, then master id.
    order = summary.sort_values(["first_purchase_at"], kind="stable")
    worst = {
        column: float(np.abs(order[column].to_numpy() - published[theirs].to_numpy()).max())
        for column, theirs in ((FREQUENCY, "x"), (RECENCY, "t_x"), (AGE, "T"))
    }
    spend = order[MONETARY_VALUE].fillna(0.0).to_numpy()
    worst["monetary_value"] = float(np.abs(spend - published["zbar"].to_numpy()).max())
    print(
        "sample rebuilt from the master file vs lifetimes' published summary, largest differences "
        "(the published values are rounded to 2 decimals): "
        + ", ".join(f"{k} {v:.4f}" for k, v in worst.items())
    )


def fit_ours(summary: pd.DataFrame, repeats: int) -> dict[str, tuple[Any, float]]:
    x, t_x, age, m = (summary[col] for col in (FREQUENCY, RECENCY, AGE, MONETARY_VALUE))
    return {
        "BG/NBD": best_time(lambda: BGNBD().fit(x, t_x, age), repeats),
        "MBG/NBD": best_time(lambda: MBGNBD().fit(x, t_x, age), repeats),
        "Gamma-Gamma": best_time(lambda: GammaGamma().fit(x, m), repeats),
    }


def fit_lifetimes(summary: pd.DataFrame, repeats: int) -> dict[str, tuple[Any, float]]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter

    x, t_x, age = (summary[col] for col in (FREQUENCY, RECENCY, AGE))
    repeat = summary[(summary[FREQUENCY] > 0) & (summary[MONETARY_VALUE] > 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "BG/NBD": best_time(lambda: BetaGeoFitter().fit(x, t_x, age), repeats),
            "MBG/NBD": best_time(lambda: ModifiedBetaGeoFitter().fit(x, t_x, age), repeats),
            "Gamma-Gamma": best_time(
                lambda: GammaGammaFitter().fit(repeat[FREQUENCY], repeat[MONETARY_VALUE]), repeats
            ),
        }


def lifetimes_params(model: Any, kind: str) -> dict[str, float]:
    params = dict(model.params_)
    return {"p": params["p"], "q": params["q"], "gamma": params["v"]} if kind == "Gamma-Gamma" else params


def print_fits(
    label: str,
    ours: dict[str, tuple[Any, float]],
    theirs: dict[str, tuple[Any, float]] | None,
    published: bool,
) -> None:
    print(f"\n== {label}: parameters (time in weeks) ==")
    print(f"{'model':<12} {'param':<6} {'published':>10} {'Cible':>10} {'lifetimes':>10}")
    for kind, (model, _) in ours.items():
        paper = {}
        if published and kind == "BG/NBD":
            paper = ref.PUBLISHED_BGNBD
        elif published and kind == "Gamma-Gamma":
            paper = ref.PUBLISHED_GAMMA_GAMMA
        other = lifetimes_params(theirs[kind][0], kind) if theirs else {}
        for name, value in model.params_.items():
            paper_text = f"{paper[name]:>10.3f}" if name in paper else f"{'':>10}"
            other_text = f"{other[name]:>10.4f}" if name in other else f"{'':>10}"
            print(f"{kind:<12} {name:<6} {paper_text} {value:>10.4f} {other_text}")
        print(f"{'':<12} {'logL':<6} {'':>10} {model.log_likelihood_:>10.2f}")
    print(f"\n== {label}: fit times ==")
    for kind, (model, seconds) in ours.items():
        line = f"{kind:<12} Cible {seconds * 1000:8.1f} ms ({model.n_patterns_:,} patterns)"
        if theirs:
            other_seconds = theirs[kind][1]
            line += f"   lifetimes {other_seconds * 1000:8.1f} ms   ({other_seconds / seconds:,.0f}x)"
        print(line)


def score_holdout(label: str, summary: pd.DataFrame, fits: dict[str, tuple[Any, float]]) -> None:
    x, t_x, age, m = (summary[col].to_numpy() for col in (FREQUENCY, RECENCY, AGE, MONETARY_VALUE))
    bought = summary[HOLDOUT_PURCHASES].to_numpy() > 0
    actual = summary[HOLDOUT_PURCHASES].to_numpy()
    print(f"\n== {label}: {HOLDOUT_WEEKS:.0f}-week holdout, {bought.mean():.1%} of customers buy again ==")
    print(f"{'model':<9} {'AUC P(alive)':>13} {'AUC E[purch]':>13} {'predicted':>10} {'actual':>8}")
    for kind in ("BG/NBD", "MBG/NBD"):
        model = fits[kind][0]
        alive = model.probability_alive(x, t_x, age)
        expected = model.conditional_expected_purchases(HOLDOUT_WEEKS, x, t_x, age)
        print(
            f"{kind:<9} {roc_auc_score(bought, alive):>13.4f} {roc_auc_score(bought, expected):>13.4f} "
            f"{expected.sum():>10,.0f} {actual.sum():>8,}"
        )
    value = customer_lifetime_value(fits["BG/NBD"][0], fits["Gamma-Gamma"][0], x, t_x, age, m, HOLDOUT_WEEKS)
    spent = summary[HOLDOUT_SPEND].to_numpy()
    print(
        f"holdout spend: BG/NBD x Gamma-Gamma predicts ${value.sum():,.0f}, actual ${spent.sum():,.0f}; "
        f"Spearman rank correlation per customer {pd.Series(value).corr(pd.Series(spent), 'spearman'):.3f}"
    )


def scaling(full: pd.DataFrame, copies: int, with_lifetimes: bool) -> None:
    """BG/NBD on the cohort repeated ``copies`` times: same patterns, ``copies`` times the customers."""
    big = pd.concat([full[[FREQUENCY, RECENCY, AGE]]] * copies, ignore_index=True)
    x, t_x, age = (big[col] for col in (FREQUENCY, RECENCY, AGE))
    ours, seconds = best_time(lambda: BGNBD().fit(x, t_x, age), 1)
    print(f"\n== BG/NBD on {len(big):,} customers ({copies} copies of the cohort) ==")
    line = f"Cible {seconds * 1000:.0f} ms"
    if with_lifetimes:
        from lifetimes import BetaGeoFitter

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs, other_seconds = best_time(lambda: BetaGeoFitter().fit(x, t_x, age), 1)
        line += f", lifetimes {other_seconds * 1000:.0f} ms ({other_seconds / seconds:,.0f}x)"
        gap = max(abs(value - theirs.params_[name]) for name, value in ours.params_.items())
        line += f"; largest parameter difference {gap:.1e}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", type=Path, default=DEFAULT_MASTER, help="CDNOW_master.txt")
    parser.add_argument("--repeats", type=int, default=3, help="fits per model and library, best time kept")
    parser.add_argument("--scale", type=int, default=10, help="copies of the cohort for the scaling fit")
    args = parser.parse_args()
    if not args.master.is_file():
        raise SystemExit(f"{args.master} is missing: see {PROJECT.parent / 'shared' / 'data' / 'README.md'}")

    started = time.perf_counter()
    orders = import_cdnow(args.master).tables["orders"]
    full = calibration_holdout(orders, ref.CALIBRATION_CUTOFF, ref.HOLDOUT_HORIZON, ref.TIME_UNIT)
    sample = full.loc[ref.cdnow_sample_ids()]
    print(
        f"import + calibration/holdout summary: {time.perf_counter() - started:.2f} s; "
        f"{len(full):,} customers, sample {len(sample):,}, "
        f"{int((sample[FREQUENCY] > 0).sum())} sample repeat buyers"
    )
    with_lifetimes = lifetimes_available()
    if with_lifetimes:
        check_sample_against_lifetimes(sample)
    else:
        print("lifetimes is not installed: Cible's side only")

    for label, summary, published in (("sample of 2,357", sample, True), ("full 23,570", full, False)):
        ours = fit_ours(summary, args.repeats)
        theirs = fit_lifetimes(summary, args.repeats) if with_lifetimes else None
        print_fits(label, ours, theirs, published)
        score_holdout(label, summary, ours)
    if args.scale > 1:
        scaling(full, args.scale, with_lifetimes)


if __name__ == "__main__":
    main()
