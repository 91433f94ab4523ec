"""Point-in-time correctness: features at a cutoff depend only on what happened strictly before it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from tests.tiny_data import AS_OF, tiny_frames

TIME = {
    "customers": "created_at",
    "orders": "ordered_at",
    "events": "occurred_at",
    "contacts": "sent_at",
    "consents": "recorded_at",
}


def truncate(frames: dict[str, pd.DataFrame], cutoff: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The data as a snapshot taken at ``cutoff`` would hold it, written independently of Dataset.before."""
    out = {}
    for name, frame in frames.items():
        frame = frame.copy()
        if name in TIME:
            frame = frame[pd.to_datetime(frame[TIME[name]], format="mixed") < cutoff].copy()
        if name == "contacts":
            for col in ("opened_at", "clicked_at"):
                frame[col] = frame[col].where(pd.to_datetime(frame[col], format="mixed") < cutoff)
            known_orders = set(out["orders"]["order_id"])
            frame["converted_order_id"] = frame["converted_order_id"].where(
                frame["converted_order_id"].isin(known_orders)
            )
        out[name] = frame
    return out


def future_rows(frames: dict[str, pd.DataFrame], cutoff: pd.Timestamp, rng: np.random.Generator):
    """Add loud rows at and after the cutoff to every table: any leak changes some feature."""
    frames = {k: v.copy() for k, v in frames.items()}
    when = [cutoff + pd.Timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 200, size=6)]
    when[0] = cutoff  # the boundary itself belongs to the future
    stamp = [t.strftime("%Y-%m-%d %H:%M:%S") for t in when]
    frames["orders"] = pd.concat(
        [
            frames["orders"],
            pd.DataFrame(
                {
                    "order_id": [f"F{i}" for i in range(6)],
                    "customer_id": ["C1", "C2", "C1", "C2", "C1", "C2"],
                    "ordered_at": stamp,
                    "channel": ["phone", "app", "store", "web", "catalogue", "delivery"],
                    "sku": ["P3", "P1", "P2", "P3", "P1", "P2"],
                    "quantity": [9, -1, 4, 2, 7, 1],
                    "unit_price": [500.0] * 6,
                    "discount": [0.3] * 6,
                    "campaign_id": ["X"] * 6,
                }
            ),
        ],
        ignore_index=True,
    )
    frames["events"] = pd.concat(
        [
            frames["events"],
            pd.DataFrame(
                {
                    "event_id": [f"FE{i}" for i in range(6)],
                    "occurred_at": stamp,
                    "visitor_id": ["V1", "V2"] * 3,
                    "customer_id": ["C1", "C2"] * 3,
                    "session_id": [f"FS{i}" for i in range(6)],
                    "type": [
                        "add_to_cart",
                        "wishlist_add",
                        "purchase",
                        "remove_from_cart",
                        "product_view",
                        "add_to_cart",
                    ],
                    "sku": ["P1", "P2", "P3", "P3", "P1", "P2"],
                    "device": ["app"] * 6,
                    "source": [None] * 6,
                }
            ),
        ],
        ignore_index=True,
    )
    frames["contacts"] = pd.concat(
        [
            frames["contacts"],
            pd.DataFrame(
                {
                    "contact_id": [f"FK{i}" for i in range(6)],
                    "customer_id": ["C1", "C2"] * 3,
                    "campaign_id": ["X"] * 6,
                    "offer_id": [None] * 6,
                    "channel": ["email", "sms", "phone", "ads", "push", "mail"],
                    "sent_at": stamp,
                    "opened_at": stamp,
                    "clicked_at": stamp,
                    "converted_order_id": [f"F{i}" for i in range(6)],
                }
            ),
        ],
        ignore_index=True,
    )
    frames["consents"] = pd.concat(
        [
            frames["consents"],
            pd.DataFrame(
                {
                    "customer_id": ["C1", "C2"] * 3,
                    "purpose": [
                        "email_marketing",
                        "sms_marketing",
                        "profiling",
                        "phone_marketing",
                        "retargeting_ads",
                        "email_marketing",
                    ],
                    "granted": [False, False, False, True, True, True],
                    "recorded_at": stamp,
                    "source": ["web_form"] * 6,
                    "proof": ["form:v9"] * 6,
                }
            ),
        ],
        ignore_index=True,
    )
    frames["customers"] = pd.concat(
        [
            frames["customers"],
            pd.DataFrame(
                {
                    "customer_id": ["C8"],
                    "created_at": [stamp[0]],
                    "region": ["Corse"],
                    "postcode": [None],
                    "birth_year": [2000],
                    "gender": [None],
                    "acquisition_channel": ["app"],
                    "has_web_account": [True],
                    "loyalty_card_id": [None],
                }
            ),
        ],
        ignore_index=True,
    )
    # An earlier contact whose outcome arrives after the cutoff.
    frames["contacts"].loc[2, ["opened_at", "clicked_at", "converted_order_id"]] = [stamp[1], stamp[1], "F1"]
    return frames


def test_full_data_and_data_truncated_at_the_cutoff_give_the_same_features() -> None:
    frames = tiny_frames()
    for cutoff in (AS_OF, pd.Timestamp("2024-04-09 10:00"), pd.Timestamp("2024-03-01")):
        full = build_customer_features(Dataset.from_frames(frames), cutoff)
        cut = build_customer_features(Dataset.from_frames(truncate(frames, cutoff)), cutoff)
        pd.testing.assert_frame_equal(full, cut)


@pytest.mark.parametrize("seed", range(5))
def test_no_future_row_leaks_into_the_features(seed: int) -> None:
    frames = tiny_frames()
    before = build_customer_features(Dataset.from_frames(frames), AS_OF)
    noisy = future_rows(frames, AS_OF, np.random.default_rng(seed))
    after = build_customer_features(Dataset.from_frames(noisy), AS_OF)
    pd.testing.assert_frame_equal(before, after)


def test_the_leak_detector_detects_a_leak() -> None:
    """The same future rows, dated one second before the cutoff, must change the features."""
    frames = tiny_frames()
    before = build_customer_features(Dataset.from_frames(frames), AS_OF)
    noisy = future_rows(frames, AS_OF - pd.Timedelta(seconds=1), np.random.default_rng(0))
    for name, column in TIME.items():  # keep only the boundary row's stamp before the cutoff
        frame = noisy[name]
        late = pd.to_datetime(frame[column], format="mixed") >= AS_OF
        noisy[name] = frame[~late]
    after = build_customer_features(Dataset.from_frames(noisy), AS_OF)
    assert not before.equals(after)
