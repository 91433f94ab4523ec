"""Where each intent feature goes in the vector, and the constants of time both paths count in: shared
by the per-visitor function the service calls (:mod:`features.intent.realtime`) and the whole-table one
(:mod:`features.intent.matrix`), so the two write the same columns."""

from __future__ import annotations

import numpy as np

from features.intent import names as f

US_PER_HOUR = 3_600_000_000
LOOKBACK_US = f.LOOKBACK_DAYS * 24 * US_PER_HOUR
SESSION_GAP_US = f.SESSION_GAP_MINUTES * 60_000_000
PURCHASE = f.EVENT_CODE["purchase"]
ADD_TO_CART = f.EVENT_CODE["add_to_cart"]
REMOVE_FROM_CART = f.EVENT_CODE["remove_from_cart"]
WISHLIST_ADD = f.EVENT_CODE["wishlist_add"]
COUNTED_AT = [
    (f.EVENT_CODE[kind], [f.FEATURE_INDEX[f.count_name(m, h)] for h in f.WINDOWS_HOURS])
    for kind, m in f.COUNTED.items()
]
SINCE_AT = [(f.EVENT_CODE[kind], f.FEATURE_INDEX[f.since_name(name)]) for kind, name in f.SINCE.items()]
WINDOWS_US = np.array([h * US_PER_HOUR for h in f.WINDOWS_HOURS], dtype=np.int64)
DEVICE_AT = [f.FEATURE_INDEX[name] for name in f.DEVICE_FEATURES]
SOURCE_AT = {s: f.FEATURE_INDEX[f"source_{s}"] for s in (*f.SOURCES, "other", "none")}
CUSTOMER_AT = [(name, f.FEATURE_INDEX[f"{f.CUSTOMER_PREFIX}{name}"]) for name in f.CUSTOMER_INPUTS]
EVENTS_AT = [f.FEATURE_INDEX[name] for name in f.EVENTS_IN]
SESSIONS_AT = [f.FEATURE_INDEX[name] for name in f.SESSIONS_IN]
PRODUCTS_AT = [f.FEATURE_INDEX[name] for name in f.PRODUCTS_IN]
N_KINDS = len(f.EVENT_CODE)
# Features that are NaN when undefined (no such event, unknown customer); every other one starts at 0.
MISSING_BY_DEFAULT = np.array(
    [name.startswith("hours_since_") or name.startswith(f.CUSTOMER_PREFIX) for name in f.INTENT_FEATURES]
)
