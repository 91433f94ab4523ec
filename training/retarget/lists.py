"""The retargeting lists at ``as_of``: one per channel (email, SMS, push, ads audience), a call list for
phone advisers and a follow-up list for delivery rounds, each with how many were left out for lack of
consent and because of the contact-pressure cap.

Scores come from the champions (``score_intent`` and ``score_customers``) unless given, so the
experiments can replay the same decisions. Every list rests on the shared consent gate at ``as_of``
(channel purpose and profiling), and the data set is loaded with the privacy rules (tombstoned people
are not in it); the ads audience carries salted SHA-256 ids only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.batch_engine import BatchEngine, InMemoryEngine
from features.campaigns.uplift_model import UpliftModel
from features.consent_gate import check_consent
from features.dataset import Dataset
from features.io import atomic_path
from features.privacy.hashing import hash_ids
from features.privacy.rules import PrivacyRules
from features.retarget import history
from features.retarget.config import RetargetConfig
from features.retarget.decide import (
    CHANNEL,
    CONTACT,
    CONVERSION,
    EXPECTED_VALUE,
    PRESSURE_CAP,
    SEND_AT,
    STATUS,
    decide,
)
from features.retarget.shop import ShopFacts, base_rates, shop_facts, shop_share
from features.retarget.timing import call_hour, call_times
from features.retarget.triggers import (
    NEXT_BEST_OFFER,
    PROBABILITY,
    SKUS,
    TOP_ITEMS,
    TRIGGER,
    WHY,
    by_priority,
    find_triggers,
)
from features.settings import Settings
from training.intent.score import score_intent
from training.tracking import connect
from training.uplift.train import load_uplift_champion

PHONE = "phone"
ADS = "ads"
CALLS = "calls"
DELIVERY = "delivery"
HASHED_ID = "hashed_id"
CALL_AT = "call_at"
TOP_REASONS = 3
DELIVERY_ORDER = [c.REGION, "round", "delivery_at", c.CUSTOMER_ID]  # one row per customer: a total order


@dataclass
class RetargetLists:
    as_of: pd.Timestamp
    lists: dict[str, pd.DataFrame]  # list name -> rows (email, sms, push, ads, calls, delivery)
    left_out: dict[str, dict[str, object]]  # list name -> counts left out for consent / pressure cap
    triggers: dict[str, int]  # candidates per trigger
    status: dict[str, int] = field(default_factory=dict)  # decision status -> customers
    # one row per triggered customer: trigger, probability, status, channel (kept in memory, never written)
    decisions: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "candidates_by_trigger": self.triggers,
            "decisions": self.status,
            "lists": {
                name: {"rows": len(frame), **self.left_out.get(name, {})}
                for name, frame in self.lists.items()
            },
        }


def _top_reasons(text: str) -> str:
    return "; ".join([part for part in text.split("; ") if part][:TOP_REASONS])


def _with_scores(frame: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    extra = scores[[c.CUSTOMER_ID, TOP_ITEMS, NEXT_BEST_OFFER]].copy()
    extra[c.CUSTOMER_ID] = extra[c.CUSTOMER_ID].astype(str)
    return frame.merge(extra, on=c.CUSTOMER_ID, how="left")


def message_list(rows: pd.DataFrame) -> pd.DataFrame:
    """E-mail, SMS and push: who, why, what (abandoned or recommended items, offer), when."""
    out = rows[
        [
            c.CUSTOMER_ID,
            TRIGGER,
            PROBABILITY,
            CONVERSION,
            SKUS,
            TOP_ITEMS,
            NEXT_BEST_OFFER,
            EXPECTED_VALUE,
            SEND_AT,
        ]
    ]
    return out.sort_values(PROBABILITY, ascending=False, kind="stable").reset_index(drop=True)


def call_list(
    rows: pd.DataFrame, dataset: Dataset, as_of: pd.Timestamp, config: RetargetConfig
) -> pd.DataFrame:
    """For advisers: the customer, P(order), top reasons, products and offer to propose, when to call
    (the hour they usually order or visit, inside adviser hours and out of quiet hours)."""
    ids = pd.Index(rows[c.CUSTOMER_ID])
    usual = history.usual_hour(dataset, ids, as_of)
    hours = pd.Series([call_hour(h, config.adviser_hours, config.quiet_hours) for h in usual], dtype="int64")
    region = dataset.customers.set_index(c.CUSTOMER_ID)[c.REGION].reindex(ids).to_numpy()
    out = pd.DataFrame(
        {
            c.CUSTOMER_ID: rows[c.CUSTOMER_ID].to_numpy(),
            c.REGION: region,
            CONVERSION: rows[CONVERSION].to_numpy(),
            PROBABILITY: rows[PROBABILITY].to_numpy(),
            TRIGGER: rows[TRIGGER].to_numpy(),
            "top_reasons": [_top_reasons(w) for w in rows[WHY]],
            "products": rows[SKUS].to_numpy(),
            "recommended": rows[TOP_ITEMS].to_numpy(),
            "offer": rows[NEXT_BEST_OFFER].to_numpy(),
            EXPECTED_VALUE: rows[EXPECTED_VALUE].to_numpy(),
            CALL_AT: call_times(pd.Series(pd.to_datetime(rows[SEND_AT]).to_numpy()), hours).to_numpy(),
        }
    )
    return out.sort_values(CONVERSION, ascending=False, kind="stable").reset_index(drop=True)


def ads_audience(rows: pd.DataFrame, salt: str) -> pd.DataFrame:
    """Hashed ids only: the ads platform never receives a customer id."""
    hashed = hash_ids(rows[c.CUSTOMER_ID].astype(str), salt)
    return pd.DataFrame({HASHED_ID: hashed.to_numpy()}).sort_values(HASHED_ID).reset_index(drop=True)


def delivery_list(
    dataset: Dataset, scores: pd.DataFrame, as_of: pd.Timestamp, config: RetargetConfig, recent: pd.Series
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Customers whose order is delivered between ``recent_days`` ago and ``soon_days`` ahead, by region
    and round (the postcode's département), with what to propose. The proposal is personal (profiling)
    and counts as a contact for the pressure cap."""
    spec = config.delivery
    orders = dataset.orders[
        (dataset.orders[c.ORDERED_AT] < as_of)
        & dataset.orders[c.CHANNEL].isin(spec.channels)
        & dataset.orders[c.CUSTOMER_ID].notna()
    ].drop_duplicates(c.ORDER_ID)
    delivered = orders[c.ORDERED_AT] + pd.Timedelta(days=config.delivery_days)
    window = (delivered >= as_of - pd.Timedelta(days=spec.recent_days)) & (
        delivered < as_of + pd.Timedelta(days=spec.soon_days)
    )
    due = orders[window].assign(delivery_at=delivered[window])
    due = due.sort_values("delivery_at").drop_duplicates(c.CUSTOMER_ID, keep="last")
    ids = pd.Index(due[c.CUSTOMER_ID].astype(str))
    gate = check_consent(dataset.consents, ids, as_of, needs_profiling=True)
    capped = recent.reindex(ids).fillna(0).to_numpy() >= config.pressure.max_contacts
    keep = gate.allowed & ~capped
    customers = dataset.customers.set_index(c.CUSTOMER_ID)
    picked = due[keep]
    postcode = customers[c.POSTCODE].reindex(picked[c.CUSTOMER_ID]).fillna("").astype(str)
    out = pd.DataFrame(
        {
            c.REGION: customers[c.REGION].reindex(picked[c.CUSTOMER_ID]).to_numpy(),
            "round": postcode.str[:2].to_numpy(),
            c.CUSTOMER_ID: picked[c.CUSTOMER_ID].to_numpy(),
            c.ORDER_ID: picked[c.ORDER_ID].to_numpy(),
            "delivery_at": picked["delivery_at"].to_numpy(),
        }
    )
    extra = scores[[c.CUSTOMER_ID, TOP_ITEMS, NEXT_BEST_OFFER]].astype({c.CUSTOMER_ID: str})
    out = out.merge(extra, on=c.CUSTOMER_ID, how="left").rename(
        columns={TOP_ITEMS: "propose_items", NEXT_BEST_OFFER: "offer"}
    )
    out = out.sort_values(DELIVERY_ORDER, kind="stable")
    counts = {
        "no_consent": int((~gate.allowed).sum()),
        "no_consent_by_purpose": gate.removed_by_purpose(),
        "pressure_cap": int((gate.allowed & capped).sum()),
    }
    return out.reset_index(drop=True), counts


def build_lists(
    dataset: Dataset,
    as_of: pd.Timestamp,
    config: RetargetConfig,
    salt: str,
    intent: pd.DataFrame,
    scores: pd.DataFrame,
    uplift: UpliftModel | None = None,
    features: pd.DataFrame | None = None,
    shop: ShopFacts | None = None,
) -> RetargetLists:
    """Every list at ``as_of`` from the given intent and customer scores (see the module doc); with the
    ``uplift`` champion, channels are chosen by expected *incremental* margin (on ``features``, every
    customer's at ``as_of``, default: built in memory from ``dataset``). ``shop``: what the lists compare
    across the shop when ``dataset`` is one partition of it (default: ``dataset``'s own)."""
    as_of = pd.Timestamp(as_of)
    shop = shop or shop_facts([shop_share(dataset, scores, as_of, config)], config)
    horizon = scores.attrs.get("horizons_days", {}).get("propensity", 30.0)
    candidates = find_triggers(intent, scores, dataset.orders, as_of, config, horizon, shop.min_value)
    ids = pd.Index(candidates[c.CUSTOMER_ID])
    names = config.channel_names
    consent = {
        ch: check_consent(dataset.consents, ids, as_of, channel=ch, needs_profiling=True) for ch in names
    }
    response = history.channel_response(
        dataset,
        ids,
        as_of,
        names,
        base_rates(config),
        config.response_prior_contacts,
        shop.rates,
        shop.elsewhere,
    )
    recent_all = dataset.contacts[
        (dataset.contacts[c.SENT_AT] >= as_of - pd.Timedelta(days=config.pressure.days))
        & (dataset.contacts[c.SENT_AT] < as_of)
    ][c.CUSTOMER_ID].value_counts()
    recent = recent_all.reindex(ids).fillna(0).to_numpy(dtype=np.int64)
    value = history.mean_order_value(dataset, ids, as_of)
    incremental = None
    if uplift is not None:
        everyone = features if features is not None else InMemoryEngine(dataset).features(as_of)
        incremental = incremental_conversion(uplift, everyone, ids, names)
    share = float(getattr(uplift, "incremental_share", 0.0)) if uplift is not None else 0.0
    decisions = decide(candidates, consent, response, recent, value, as_of, config, incremental, share)
    rows = _with_scores(decisions.frame, scores)

    lists: dict[str, pd.DataFrame] = {}
    left_out: dict[str, dict[str, object]] = {}
    for ch in config.primary_channels:
        chosen = rows[(rows[STATUS] == CONTACT) & (rows[CHANNEL] == ch)]
        name = CALLS if ch == PHONE else ch
        lists[name] = call_list(chosen, dataset, as_of, config) if ch == PHONE else message_list(chosen)
        left_out[name] = decisions.left_out[ch]
    for ch, included in decisions.additive.items():
        chosen = rows[included]
        lists[ch] = ads_audience(chosen, salt) if ch == ADS else message_list(chosen)
        left_out[ch] = decisions.left_out[ch]
    lists[DELIVERY], left_out[DELIVERY] = delivery_list(dataset, scores, as_of, config, recent_all)
    return _tallied(as_of, lists, left_out, decisions.frame)


def _tallied(
    as_of: pd.Timestamp,
    lists: dict[str, pd.DataFrame],
    left_out: dict[str, dict[str, object]],
    decisions: pd.DataFrame,
) -> RetargetLists:
    """The lists with the candidates by trigger and the customers by decision, from the ``decisions``
    (one row per candidate, in the candidates' order)."""
    status = decisions[STATUS].value_counts().to_dict()
    return RetargetLists(
        as_of=as_of,
        lists=lists,
        left_out=left_out,
        triggers={str(k): int(v) for k, v in decisions[TRIGGER].value_counts().items()},
        status={str(k): int(v) for k, v in status.items()} | {PRESSURE_CAP: int(status.get(PRESSURE_CAP, 0))},
        decisions=decisions,
    )


def combine_lists(parts: list[RetargetLists], config: RetargetConfig) -> RetargetLists:
    """The lists of every customer partition put together into the lists one build of the whole data
    set gives: each list's rows in its order (:func:`features.retarget.triggers.by_priority`, by hashed
    id, by delivery round), the counts left out summed."""
    if not parts:
        raise ValueError("no partition had a customer to build lists for")
    lists = {}
    for name in parts[0].lists:
        rows = _concat([part.lists[name] for part in parts])
        if name == ADS:
            rows = rows.sort_values(HASHED_ID)
        elif name == DELIVERY:
            rows = rows.sort_values(DELIVERY_ORDER, kind="stable")
        else:
            rows = by_priority(rows, config, first=CONVERSION if name == CALLS else PROBABILITY)
        lists[name] = rows.reset_index(drop=True)
    left_out = {name: _summed([part.left_out[name] for part in parts]) for name in parts[0].left_out}
    decisions = by_priority(_concat([part.decisions for part in parts]), config).reset_index(drop=True)
    return _tallied(parts[0].as_of, lists, left_out, decisions)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of every partition; an empty partition's frame (its columns untyped) is left out."""
    filled = [frame for frame in frames if len(frame)]
    return pd.concat(filled, ignore_index=True) if filled else frames[0]


def _summed(counts: list[dict[str, object]]) -> dict[str, object]:
    """Counts left out of a list in every partition, added up (purposes in name order, as one build
    gives them)."""
    out: dict[str, object] = {}
    for key, first in counts[0].items():
        if isinstance(first, dict):
            total: dict[str, int] = {}
            for part in counts:
                for purpose, n in part[key].items():  # type: ignore[attr-defined]
                    total[purpose] = total.get(purpose, 0) + int(n)
            out[key] = dict(sorted(total.items()))
        else:
            out[key] = sum(int(part[key]) for part in counts)  # type: ignore[call-overload]
    return out


def incremental_conversion(
    uplift: UpliftModel, everyone: pd.DataFrame, ids: pd.Index, channels: tuple[str, ...]
) -> np.ndarray:
    """candidates x channels uplift of a contact without an offer, from the features of ``everyone`` at
    the lists' cutoff; NaN where no control group tested the channel (or the customer has no features)."""
    out = np.full((len(ids), len(channels)), np.nan)
    if not len(ids):
        return out
    features = everyone.set_index(c.CUSTOMER_ID).reindex(ids).reset_index()
    known = features.drop(columns=[c.CUSTOMER_ID]).notna().any(axis=1).to_numpy()
    for j, channel in enumerate(channels):
        if uplift.knows(None, channel) and known.any():
            rows = features[known]
            out[known, j] = uplift.uplift(rows, ["none"] * len(rows), [channel] * len(rows))
    return out


def write_lists(result: RetargetLists, out: Path) -> dict[str, Path]:
    """One CSV per list and ``summary.json``, each written atomically."""
    written = {}
    for name, frame in result.lists.items():
        path = out / f"{name}.csv"
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S")
        written[name] = path
    summary = out / "summary.json"
    with atomic_path(summary) as tmp:
        tmp.write_text(json.dumps(result.summary(), indent=2, ensure_ascii=False, default=str) + "\n")
    written["summary"] = summary
    return written


@dataclass(frozen=True)
class ChampionScores:
    """What the lists read of the champions for one data set (the whole, or a partition)."""

    intent: pd.DataFrame
    scores: pd.DataFrame
    features: pd.DataFrame  # every customer's at the lists' cutoff (the uplift champion reads them)


def champion_scores(
    dataset: Dataset, as_of: pd.Timestamp, settings: Settings, engine: BatchEngine | None = None
) -> ChampionScores:
    """Intent and customer scores of today's champions (features and scores on ``engine``, default in
    memory)."""
    from training.predictive.score import score_customers  # MLflow-backed: only when the lists need it

    engine = engine or InMemoryEngine(dataset)
    features = engine.features(as_of)
    intent = score_intent(dataset, as_of, settings, customer_features=features)
    return ChampionScores(intent, score_customers(dataset, as_of, settings, engine), features)


def lists_from_champions(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config: RetargetConfig,
    engine: BatchEngine | None = None,
) -> RetargetLists:
    """The lists with today's champions: intent scores, customer scores (features and scores on
    ``engine``, default in memory), the configured hashing salt."""
    scored = champion_scores(dataset, as_of, settings, engine)
    salt = PrivacyRules.from_settings(settings).salt()
    uplift = load_uplift_champion(connect(settings))
    return build_lists(dataset, as_of, config, salt, scored.intent, scored.scores, uplift, scored.features)
