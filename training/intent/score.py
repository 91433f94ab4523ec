"""Batch intent scores at a cutoff with the champion, and the facts the retargeting triggers read.

One row per visitor active in the lookback before ``as_of``: P(purchase within 7 days), its reasons,
and what is still open: the products left in the cart and on the wishlist (not removed, not moved on,
not bought since, on the site or, for a known customer, on any channel), with when they were added.
"""

from __future__ import annotations

import pandas as pd

from features import columns as c
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.errors import NoChampionError
from features.intent.batch import as_frame, visitor_vectors
from features.intent.realtime import ADD_TO_CART, WISHLIST_ADD, open_items
from features.settings import Settings
from training.intent.train import load_intent_champion
from training.tracking import connect

INTENT_PROBABILITY = "intent_probability"
INTENT_REASONS = "intent_reasons"
LAST_CART_AT, CARTED_SKUS = "last_cart_at", "carted_skus"
LAST_WISHLIST_AT, WISHLIST_SKUS = "last_wishlist_at", "wishlist_skus"
LAST_EVENT_AT = "last_event_at"
SCORE_COLUMNS: tuple[str, ...] = (
    c.VISITOR_ID,
    c.CUSTOMER_ID,
    INTENT_PROBABILITY,
    INTENT_REASONS,
    LAST_CART_AT,
    CARTED_SKUS,
    LAST_WISHLIST_AT,
    WISHLIST_SKUS,
    LAST_EVENT_AT,
)


def _last_orders(orders: pd.DataFrame) -> dict[tuple[str, str], pd.Timestamp]:
    """Latest order time of each (customer, product) bought (returns excluded)."""
    bought = orders[orders[c.QUANTITY] > 0]
    latest = bought.groupby([c.CUSTOMER_ID, c.SKU])[c.ORDERED_AT].max()
    return latest.to_dict()


def score_intent(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    reasons: int = 3,
    customer_features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Champion intent scores and trigger facts of every visitor active in the lookback before ``as_of``.

    ``carted_skus`` / ``wishlist_skus`` list the open products, latest addition first; ``last_cart_at`` /
    ``last_wishlist_at`` are the latest of those additions (missing when nothing is open).
    ``customer_features`` (every customer's at ``as_of``, e.g. from the command's engine) are built from
    ``dataset`` when not given."""
    model = load_intent_champion(connect(settings))
    if model is None:
        raise NoChampionError(
            "no intent model is champion in this Cible home: run `cible train intent` (or `cible train all`)"
        )
    as_of = pd.Timestamp(as_of)
    past = dataset.before(as_of)
    ordered = _last_orders(past.orders)
    ids, customers, vectors, facts = [], [], [], []
    if customer_features is None:
        customer_features = build_customer_features(past, as_of)
    for visitor, vector in visitor_vectors(past, as_of, customer_features):
        ids.append(visitor.visitor_id)
        customers.append(visitor.customer_id)
        vectors.append(vector)
        row: dict[str, object] = {LAST_EVENT_AT: as_of - pd.Timedelta(int(visitor.events.age_us.min()), "us")}
        for kind, last_at, skus in (
            (ADD_TO_CART, LAST_CART_AT, CARTED_SKUS),
            (WISHLIST_ADD, LAST_WISHLIST_AT, WISHLIST_SKUS),
        ):
            still = []
            for sku, age in sorted(open_items(visitor.events, kind).items(), key=lambda item: item[1]):
                added = as_of - pd.Timedelta(age, "us")
                bought = ordered.get((visitor.customer_id, sku)) if visitor.customer_id else None
                if bought is None or bought < added:
                    still.append((sku, added))
            row[skus] = [sku for sku, _ in still]
            row[last_at] = still[0][1] if still else pd.NaT
        facts.append(row)
    if not ids:  # nobody active in the lookback: an empty table of the same shape
        empty = pd.DataFrame({col: pd.Series([], dtype="object") for col in SCORE_COLUMNS})
        empty[INTENT_PROBABILITY] = empty[INTENT_PROBABILITY].astype("float64")
        for col in (LAST_CART_AT, LAST_WISHLIST_AT, LAST_EVENT_AT):
            empty[col] = empty[col].astype("datetime64[us]")
        return empty
    frame = as_frame(ids, customers, vectors)
    matrix = frame[list(model.features)]
    frame[INTENT_PROBABILITY] = model.predict(matrix)
    frame[INTENT_REASONS] = ["; ".join(r) for r in model.reasons(matrix, reasons)]
    out = pd.concat(
        [frame[[c.VISITOR_ID, c.CUSTOMER_ID, INTENT_PROBABILITY, INTENT_REASONS]], pd.DataFrame(facts)],
        axis=1,
    )
    for col in (LAST_CART_AT, LAST_WISHLIST_AT, LAST_EVENT_AT):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    return out[list(SCORE_COLUMNS)]
