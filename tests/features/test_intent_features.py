"""The intent feature function: batch and real time agree, the cutoff is respected, the numbers are right."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features import columns as c
from features import vocab
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.intent import names as f
from features.intent.batch import customer_inputs, intent_frame
from features.intent.realtime import intent_vector

NOW = datetime(2026, 6, 1, 12, 0, 0)
FEATURES = list(f.INTENT_FEATURES)


def _event(hours_ago: float, kind: str, sku: str | None = None, **extra: object) -> dict[str, object]:
    return {
        c.OCCURRED_AT: NOW - timedelta(hours=hours_ago),
        c.EVENT_TYPE: kind,
        c.SKU: sku,
        c.DEVICE: extra.get("device", "mobile"),
        c.SOURCE: extra.get("source", "seo"),
        c.CUSTOMER_ID: extra.get("customer_id"),
        c.VISITOR_ID: extra.get("visitor_id", "V1"),
    }


def _value(vector: np.ndarray, name: str) -> float:
    return float(vector[f.FEATURE_INDEX[name]])


def test_counts_recency_sessions_and_open_items() -> None:
    events = [
        _event(200, "product_view", "A", device="desktop", source="email"),  # a first visit, 8 days ago
        _event(199.9, "add_to_cart", "A"),
        _event(30, "product_view", "B"),  # a second visit, yesterday
        _event(29.9, "add_to_cart", "B"),
        _event(29.8, "add_to_cart", "C"),
        _event(29.7, "remove_from_cart", "C"),
        _event(2, "wishlist_add", "D", device="app", source=None),  # a third visit
        _event(0, "purchase"),  # at now: not before the cutoff, ignored
        _event(-1, "add_to_cart", "E"),  # the future: ignored
        _event(31 * 24, "add_to_cart", "F"),  # older than the lookback: ignored
    ]
    v = intent_vector(events, NOW, None)
    assert v.shape == (len(FEATURES),)
    assert _value(v, "events_24h") == 1 and _value(v, "events_7d") == 5 and _value(v, "events_30d") == 7
    assert _value(v, "sessions_24h") == 1 and _value(v, "sessions_7d") == 2 and _value(v, "sessions_30d") == 3
    assert _value(v, "cart_adds_7d") == 2 and _value(v, "cart_adds_30d") == 3
    assert _value(v, "cart_removes_7d") == 1 and _value(v, "purchases_30d") == 0
    assert _value(v, "distinct_products_30d") == 4 and _value(v, "distinct_products_24h") == 1
    assert _value(v, f.HOURS_SINCE_LAST_EVENT) == pytest.approx(2)
    assert _value(v, "hours_since_cart_add") == pytest.approx(29.8)
    assert np.isnan(_value(v, "hours_since_purchase")) and np.isnan(_value(v, "hours_since_checkout_start"))
    assert _value(v, f.OPEN_CART_ITEMS) == 2  # A and B (C was removed)
    assert _value(v, f.OPEN_WISHLIST_ITEMS) == 1
    assert _value(v, f.RETURNING_VISITOR) == 1 and _value(v, f.KNOWN_CUSTOMER) == 0
    assert _value(v, "device_app") == 1 and _value(v, "device_desktop") == 0
    assert _value(v, "source_none") == 1 and _value(v, "source_email") == 0
    assert np.isnan(_value(v, "customer_n_orders"))


def test_a_purchase_clears_the_cart_and_the_customer_record_is_read() -> None:
    events = [_event(5, "add_to_cart", "A", customer_id="C1"), _event(4, "purchase")]
    record = {"n_orders": 3, "days_since_last_order": None, "has_web_account": True, "region": "Bretagne"}
    v = intent_vector(events, NOW, record)
    assert _value(v, f.OPEN_CART_ITEMS) == 0 and _value(v, f.KNOWN_CUSTOMER) == 1
    assert _value(v, "customer_n_orders") == 3 and _value(v, "customer_has_web_account") == 1
    assert np.isnan(_value(v, "customer_days_since_last_order"))


def test_iso_text_and_aware_times_read_as_the_same_instant() -> None:
    events = [_event(3, "product_view", "A"), _event(1, "add_to_cart", "A")]
    as_text = [{**e, c.OCCURRED_AT: e[c.OCCURRED_AT].isoformat()} for e in events]  # type: ignore[union-attr]
    aware = [{**e, c.OCCURRED_AT: e[c.OCCURRED_AT].isoformat() + "+00:00"} for e in events]  # type: ignore[union-attr]
    expected = intent_vector(events, NOW, None)
    np.testing.assert_array_equal(intent_vector(as_text, NOW, None), expected)
    np.testing.assert_array_equal(intent_vector(aware, pd.Timestamp(NOW, tz="UTC"), None), expected)


def _records(events: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as the service would receive them: plain Python values, missing ones as None."""
    out = []
    for row in events.to_dict("records"):
        out.append({k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items()})
    return out


def _assert_batch_equals_realtime(
    dataset: Dataset, as_of: pd.Timestamp, cf: pd.DataFrame | None = None, sample: int | None = None
) -> int:
    past = dataset.before(as_of)
    cf = build_customer_features(past, as_of) if cf is None else cf
    batch = intent_frame(dataset, as_of, cf)
    if sample is not None and len(batch) > sample:
        batch = batch.sample(sample, random_state=0)
    inputs = customer_inputs(cf)
    events = dataset.events  # the full table, future rows included: the real-time path must drop them too
    events = events[events[c.VISITOR_ID].isin(batch[c.VISITOR_ID])]
    by_visitor = dict(tuple(events.groupby(c.VISITOR_ID, sort=False)))
    now = as_of.to_pydatetime()
    for visitor, customer_id, *values in batch.itertuples(index=False):
        customer = inputs[customer_id] if isinstance(customer_id, str) else None
        realtime = intent_vector(_records(by_visitor[visitor]), now, customer)
        np.testing.assert_array_equal(realtime, np.asarray(values, dtype=np.float64), err_msg=visitor)
    return len(batch)


def test_batch_and_realtime_give_identical_features_on_synthetic_data(small_synthetic: Dataset) -> None:
    as_of = small_synthetic.default_as_of() - pd.Timedelta(days=10, hours=5)
    # Every visitor is computed in batch; a sample of them (known and anonymous alike) is recomputed live.
    assert _assert_batch_equals_realtime(small_synthetic, as_of, sample=300) == 300


EVENT = st.fixed_dictionaries(
    {
        "minutes": st.integers(min_value=-600, max_value=(f.LOOKBACK_DAYS + 2) * 24 * 60),
        "seconds": st.integers(min_value=0, max_value=59),
        "visitor": st.sampled_from(["V1", "V2", "V3"]),
        "type": st.sampled_from(vocab.EVENT_TYPES),
        "sku": st.sampled_from([None, "A", "B", "C"]),
        "device": st.sampled_from(vocab.DEVICES),
        "source": st.sampled_from([None, "seo", "email", "newsletter-42"]),
        "customer": st.sampled_from([None, None, "C1"]),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENT, min_size=1, max_size=40))
def test_batch_and_realtime_agree_on_random_event_sequences(draw: list[dict]) -> None:
    as_of = pd.Timestamp(NOW)
    events = pd.DataFrame(
        {
            c.EVENT_ID: [f"E{i}" for i in range(len(draw))],
            c.OCCURRED_AT: [NOW - timedelta(minutes=e["minutes"], seconds=e["seconds"]) for e in draw],
            c.VISITOR_ID: [e["visitor"] for e in draw],
            c.CUSTOMER_ID: [e["customer"] for e in draw],
            c.SESSION_ID: "S",
            c.EVENT_TYPE: [e["type"] for e in draw],
            c.SKU: [e["sku"] for e in draw],
            c.DEVICE: [e["device"] for e in draw],
            c.SOURCE: [e["source"] for e in draw],
        }
    )
    customers = pd.DataFrame(
        {c.CUSTOMER_ID: ["C1"], **{name: [float(i + 1)] for i, name in enumerate(f.CUSTOMER_INPUTS)}}
    )
    dataset = Dataset.from_frames({"events": events})
    _assert_batch_equals_realtime(dataset, as_of, customers)


def test_events_at_or_after_the_cutoff_never_change_the_features(small_synthetic: Dataset) -> None:
    as_of = small_synthetic.default_as_of() - pd.Timedelta(days=20)
    cf = build_customer_features(small_synthetic, as_of)
    truncated = Dataset.from_frames(
        {
            **small_synthetic.frames(),
            "events": small_synthetic.events[small_synthetic.events[c.OCCURRED_AT] < as_of],
        }
    )
    # Loud rows at and after the cutoff for every visitor: carts, checkouts and purchases.
    active = small_synthetic.events[small_synthetic.events[c.OCCURRED_AT] < as_of].drop_duplicates(
        c.VISITOR_ID
    )
    loud = pd.concat(
        [
            active.assign(**{c.OCCURRED_AT: as_of + pd.Timedelta(minutes=m), c.EVENT_TYPE: t})
            for m, t in [(0, "add_to_cart"), (0, "checkout_start"), (1, "purchase"), (90, "wishlist_add")]
        ],
        ignore_index=True,
    )
    loud[c.EVENT_ID] = [f"LOUD{i}" for i in range(len(loud))]
    noisy = Dataset.from_frames(
        {**small_synthetic.frames(), "events": pd.concat([small_synthetic.events, loud])}
    )
    expected = intent_frame(truncated, as_of, cf)
    pd.testing.assert_frame_equal(intent_frame(noisy, as_of, cf), expected)
    pd.testing.assert_frame_equal(intent_frame(small_synthetic, as_of, cf), expected)
