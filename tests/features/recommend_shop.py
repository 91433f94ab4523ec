"""A hand-made shop for recommender tests: every neighbour, gap and rule outcome can be worked out."""

from __future__ import annotations

import pandas as pd

from features.dataset import Dataset

AS_OF = pd.Timestamp("2024-05-01")
PRODUCTS = [
    # sku, name, category, price, margin, in stock, replenishable
    ("A1", "Café Moka", "coffee", 10.0, 2.0, True, True),
    ("A2", "Café Java", "coffee", 12.0, 1.0, True, True),
    ("B1", "Comté", "cheese", 20.0, 5.0, True, False),
    ("B2", "Brie", "cheese", 15.0, 3.0, True, True),
    ("W1", "Riesling", "wines", 25.0, 6.0, True, False),
    ("W2", "Sancerre", "wines", 30.0, 9.0, False, False),
    ("FEE", "Livraison", "non_product", 5.0, 0.0, True, False),
]
BASKETS = [
    # order, customer, day, skus
    ("O1", "C1", "2024-03-01", ["A1"]),
    ("O2", "C1", "2024-03-31", ["A1", "FEE"]),
    ("O3", "C1", "2024-04-20", ["A1"]),
    ("O4", "C1", "2024-04-25", ["B1", "W1"]),
    ("O5", "C2", "2024-04-10", ["B1", "W1", "FEE"]),
    ("O6", "C3", "2024-04-12", ["B1", "W1"]),
    ("O7", "C4", "2024-03-10", ["B2", "W1"]),
    ("O8", "C5", "2024-04-28", ["A2", "FEE"]),
    ("O9", "C6", "2024-04-01", ["A1", "B2"]),
    ("O10", "C6", "2024-04-20", ["A1"]),
    # after the cutoff: must never feed candidates, neighbours or features at AS_OF
    ("O11", "C2", "2024-05-01", ["A2", "W2"]),
    ("O12", "C5", "2024-05-03", ["B2", "W1"]),
]


def shop_frames() -> dict[str, pd.DataFrame]:
    ids = [f"C{i}" for i in range(1, 7)]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "created_at": "2024-01-01",
            "region": ["Nord", "Nord", "Sud", "Sud", "Nord", "Sud"],
            "acquisition_channel": "web",
            "has_web_account": True,
        }
    )
    products = pd.DataFrame(
        PRODUCTS,
        columns=["sku", "name", "category", "unit_price", "unit_margin", "in_stock", "is_replenishable"],
    )
    lines = [
        (order, cust, f"{day} 10:00", "web", sku, 1, 10.0, 0.0)
        for order, cust, day, skus in BASKETS
        for sku in skus
    ]
    orders = pd.DataFrame(
        lines,
        columns=[
            "order_id",
            "customer_id",
            "ordered_at",
            "channel",
            "sku",
            "quantity",
            "unit_price",
            "discount",
        ],
    )
    # everybody granted profiling at sign-up; C6 withdrew it before the cutoff
    consents = pd.DataFrame(
        [(cid, "profiling", True, "2024-01-01", "web_form", "form:v1") for cid in ids]
        + [("C6", "profiling", False, "2024-04-30", "email_link", None)],
        columns=["customer_id", "purpose", "granted", "recorded_at", "source", "proof"],
    )
    return {"customers": customers, "products": products, "orders": orders, "consents": consents}


def shop() -> Dataset:
    return Dataset.from_frames(shop_frames())
