"""Who has a reason to be contacted at ``as_of``, and since when: cart abandoners, wishlisters,
post-purchase cross-sell after delivery, lapsing high-value customers. One trigger per customer (the
first of ``config.priority`` that applies).

Inputs are frames, not models: the intent scores (one row per visitor, the columns of
``training/intent/score.py::score_intent``) and the customer scores (``training/predictive/score.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.retarget.config import CART, LAPSING, POST_PURCHASE, WISHLIST, RetargetConfig
from features.retarget.history import last_order_at

# score_intent's columns
INTENT_PROBABILITY = "intent_probability"
INTENT_REASONS = "intent_reasons"
LAST_CART_AT = "last_cart_at"
CARTED_SKUS = "carted_skus"
LAST_WISHLIST_AT = "last_wishlist_at"
WISHLIST_SKUS = "wishlist_skus"
LAST_EVENT_AT = "last_event_at"
# score_customers' columns used here
CHURN_PROBABILITY = "churn_probability"
PURCHASE_PROPENSITY = "purchase_propensity"
PREDICTED_VALUE = "predicted_value"
REASONS = "reasons"
TOP_ITEMS = "top_items"
NEXT_BEST_OFFER = "next_best_offer"
# candidate columns
TRIGGER = "trigger"
TRIGGER_AT = "trigger_at"
DUE_AT = "due_at"
PROBABILITY = "probability"
WHY = "why"
SKUS = "skus"
WEEK_DAYS = 7.0
CANDIDATE_COLUMNS = (c.CUSTOMER_ID, TRIGGER, TRIGGER_AT, DUE_AT, PROBABILITY, WHY, SKUS)


def _text(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        return "; ".join(str(v) for v in value)
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _skus(value: object) -> str:
    """Comma-joined skus, each once, in their order (a cart may hold an item added twice)."""
    if isinstance(value, list | tuple | np.ndarray):
        return ",".join(dict.fromkeys(str(v) for v in value if v is not None))
    return _text(value)


def known_visitors(intent: pd.DataFrame) -> pd.DataFrame:
    """One row per known customer: the freshest of their visitors (a customer may use several devices)."""
    known = intent[intent[c.CUSTOMER_ID].notna()]
    return known.sort_values(LAST_EVENT_AT, kind="stable").drop_duplicates(c.CUSTOMER_ID, keep="last")


def _ordered_since(orders: pd.DataFrame, ids: pd.Series, since: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """Whether each customer ordered at or after their ``since`` (and before ``as_of``)."""
    last = last_order_at(orders, pd.Index(ids), as_of).to_numpy()
    return (pd.Series(last) >= pd.Series(since.to_numpy())).to_numpy()


def _timed(
    frame: pd.DataFrame, at: pd.Series, name: str, as_of: pd.Timestamp, config: RetargetConfig
) -> np.ndarray:
    """Rows whose trigger is due (``after_hours`` passed) and not stale (within ``within_hours`` more)."""
    timing = config.triggers[name]
    age = (as_of - at).dt.total_seconds() / 3600
    return (age >= timing.after_hours).to_numpy() & (
        age < timing.after_hours + timing.within_hours
    ).to_numpy()


def intent_triggers(
    intent: pd.DataFrame, orders: pd.DataFrame, as_of: pd.Timestamp, config: RetargetConfig
) -> pd.DataFrame:
    """Cart abandoners and wishlisters among known visitors: the cart (wishlist) is due, no order since."""
    rows = known_visitors(intent)
    rows = rows[rows[INTENT_PROBABILITY].notna()]
    out = []
    for name, at_col, skus_col in (
        (CART, LAST_CART_AT, CARTED_SKUS),
        (WISHLIST, LAST_WISHLIST_AT, WISHLIST_SKUS),
    ):
        at = pd.to_datetime(rows[at_col])
        keep = at.notna().to_numpy() & (at < as_of).to_numpy() & _timed(rows, at, name, as_of, config)
        picked, at = rows[keep], at[keep]
        bought = _ordered_since(orders, picked[c.CUSTOMER_ID], at, as_of)
        picked, at = picked[~bought], at[~bought]
        out.append(
            pd.DataFrame(
                {
                    c.CUSTOMER_ID: picked[c.CUSTOMER_ID].astype(str).to_numpy(),
                    TRIGGER: name,
                    TRIGGER_AT: at.to_numpy(),
                    DUE_AT: (at + pd.Timedelta(hours=config.triggers[name].after_hours)).to_numpy(),
                    PROBABILITY: picked[INTENT_PROBABILITY].to_numpy(dtype=float),
                    WHY: [_text(v) for v in picked[INTENT_REASONS]],
                    SKUS: [_skus(v) for v in picked[skus_col]],
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def weekly(probability: pd.Series, horizon_days: float) -> np.ndarray:
    """P(buy within 7 days) from P(buy within ``horizon_days``), at a constant rate over the horizon: the
    intent score's horizon, so every trigger's probability means the same thing."""
    p = probability.astype(float).clip(0, 1).to_numpy()
    return 1 - (1 - p) ** (WEEK_DAYS / horizon_days)


def lapsing_min_value(values: pd.Series, config: RetargetConfig) -> float:
    """The predicted value from which a lapsing customer is high-value: the configured quantile of every
    scored customer's (``values``: the whole shop's); infinite without a value model (nobody is known to
    be high-value)."""
    values = values.astype(float)
    return float(values.quantile(config.lapsing.min_value_quantile)) if values.notna().any() else np.inf


def score_triggers(
    scores: pd.DataFrame,
    orders: pd.DataFrame,
    as_of: pd.Timestamp,
    config: RetargetConfig,
    propensity_days: float = 30.0,
    min_value: float | None = None,
) -> pd.DataFrame:
    """Post-purchase cross-sell (the last order delivered ``after_hours`` ago) and lapsing high-value
    customers (churn risk and predicted value over their thresholds); their probability of buying is the
    purchase propensity brought to a week, their items the recommended ones. ``min_value``: the high
    value's threshold (:func:`lapsing_min_value`), of ``scores`` when not given."""
    ids = pd.Index(scores[c.CUSTOMER_ID].astype(str))
    delivered = last_order_at(orders, ids, as_of) + pd.Timedelta(days=config.delivery_days)
    delivered = pd.Series(delivered.to_numpy(), index=scores.index)
    cross = delivered.notna().to_numpy() & _timed(scores, delivered, POST_PURCHASE, as_of, config)
    value = scores[PREDICTED_VALUE].astype(float)
    if min_value is None:
        min_value = lapsing_min_value(value, config)
    high_value = (value >= min_value).to_numpy()
    churn = scores[CHURN_PROBABILITY].astype(float).to_numpy()
    lapsing = (churn >= config.lapsing.min_churn_probability) & high_value
    out = []
    for name, keep, at in (
        (POST_PURCHASE, cross, delivered),
        (LAPSING, lapsing, pd.Series(as_of, index=scores.index)),
    ):
        picked = scores[keep]
        out.append(
            pd.DataFrame(
                {
                    c.CUSTOMER_ID: picked[c.CUSTOMER_ID].astype(str).to_numpy(),
                    TRIGGER: name,
                    TRIGGER_AT: at[keep].to_numpy(),
                    DUE_AT: (at[keep] + pd.Timedelta(hours=config.triggers[name].after_hours)).to_numpy()
                    if name in config.triggers
                    else at[keep].to_numpy(),
                    PROBABILITY: weekly(picked[PURCHASE_PROPENSITY], propensity_days),
                    WHY: [_text(v) for v in picked[REASONS]],
                    SKUS: [_skus(v) for v in picked[TOP_ITEMS]],
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def find_triggers(
    intent: pd.DataFrame,
    scores: pd.DataFrame,
    orders: pd.DataFrame,
    as_of: pd.Timestamp,
    config: RetargetConfig,
    propensity_days: float = 30.0,
    min_value: float | None = None,
) -> pd.DataFrame:
    """Every customer with a due trigger, one row each (``config.priority`` decides between triggers);
    rows without a probability (no model scored them) cannot be valued and are dropped. ``min_value``:
    see :func:`score_triggers`."""
    found = pd.concat(
        [
            intent_triggers(intent, orders, as_of, config),
            score_triggers(scores, orders, as_of, config, propensity_days, min_value),
        ],
        ignore_index=True,
    )
    found = found[found[PROBABILITY].notna()]
    found = by_priority(found, config).drop_duplicates(c.CUSTOMER_ID)
    return found[list(CANDIDATE_COLUMNS)].reset_index(drop=True)


def by_priority(frame: pd.DataFrame, config: RetargetConfig, first: str | None = None) -> pd.DataFrame:
    """The rows of ``frame`` by ``first`` descending (if given), then by trigger priority and customer
    id: the candidates' order, in which the lists are sorted stably (one row per customer: a total
    order, so rows put together from partitions sort into the order one build gives)."""
    rank = frame[TRIGGER].map({name: i for i, name in enumerate(config.priority)})
    keys = [first] if first else []
    ordered = frame.assign(_rank=rank).sort_values(
        [*keys, "_rank", c.CUSTOMER_ID], ascending=[False] * len(keys) + [True, True], kind="stable"
    )
    return ordered.drop(columns="_rank")
