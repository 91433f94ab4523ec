"""A tiny hand-written data set whose features can be worked out by hand (see tests/features)."""

from __future__ import annotations

import pandas as pd

AS_OF = pd.Timestamp("2024-05-01")


def tiny_frames() -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "created_at": ["2024-01-01 09:00", "2024-03-01 10:00", "2024-06-15 11:00"],
            "region": ["Grand Est", "Bretagne", "Occitanie"],
            "postcode": ["67000", "35000", None],
            "birth_year": [1950, None, 1990],
            "gender": ["F", None, "M"],
            "acquisition_channel": ["web", "store", "web"],
            "has_web_account": [True, True, True],
            "loyalty_card_id": ["L1", None, None],
        }
    )
    products = pd.DataFrame(
        {
            "sku": ["P1", "P2", "P3", "FEE"],
            "name": ["Comté 18 mois", "Riesling", "Coffret Noël", "Frais de livraison"],
            "category": ["cheese", "wines", "gift_boxes", "non_product"],
            "subcategory": ["pâte pressée", "blanc", None, None],
            "unit_price": [10.0, 20.0, 50.0, 5.0],
            "unit_margin": [4.0, 8.0, 20.0, 0.0],
            "in_stock": [True, True, False, True],
            "is_replenishable": [True, False, False, False],
        }
    )
    lines = [
        # order, customer, when, channel, sku, qty, price, discount, campaign
        ("O1", "C1", "2024-01-10 10:00", "web", "P1", 2, 10.0, 0.0, None),
        ("O1", "C1", "2024-01-10 10:00", "web", "P2", 1, 20.0, 0.0, None),
        ("O2", "C1", "2024-02-09 10:00", "phone", "P1", 1, 10.0, 0.5, "CAMP1"),
        ("O3", "C1", "2024-04-09 10:00", "web", "P2", 3, 20.0, 0.0, None),
        ("O3", "C1", "2024-04-09 10:00", "web", "FEE", 1, 5.0, 0.0, None),
        ("R1", "C1", "2024-04-20 10:00", "web", "P2", -1, 20.0, 0.0, None),
        ("O4", "C2", "2024-03-05 15:00", "store", "P3", 1, 50.0, 0.0, None),
        ("O5", None, "2024-03-06 15:00", "web", "P1", 1, 10.0, 0.0, None),
        ("O6", "C2", "2024-06-01 12:00", "web", "P2", 1, 20.0, 0.0, None),
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
            "campaign_id",
        ],
    )
    events = pd.DataFrame(
        [
            ("E1", "2024-04-25 10:00", "V1", "C1", "S1", "product_view", "P3", "desktop", "seo"),
            ("E2", "2024-04-25 10:01", "V1", "C1", "S1", "add_to_cart", "P3", "desktop", "seo"),
            ("E3", "2024-04-28 20:00", "V1", "C1", "S2", "wishlist_add", "P1", "mobile", None),
            ("E4", "2024-04-29 20:00", "V2", None, "S3", "page_view", None, "mobile", "social"),
            ("E5", "2024-05-02 08:00", "V1", "C1", "S4", "add_to_cart", "P2", "desktop", None),
        ],
        columns=[
            "event_id",
            "occurred_at",
            "visitor_id",
            "customer_id",
            "session_id",
            "type",
            "sku",
            "device",
            "source",
        ],
    )
    contacts = pd.DataFrame(
        [
            (
                "K1",
                "C1",
                "CAMP1",
                None,
                "email",
                "2024-02-01 08:00",
                "2024-02-01 09:00",
                "2024-02-01 09:05",
                "O2",
            ),
            ("K2", "C1", "CAMP2", "WEB5", "email", "2024-04-15 08:00", "2024-05-03 09:00", None, None),
            ("K3", "C2", "CAMP2", None, "sms", "2024-04-15 08:00", None, None, None),
        ],
        columns=[
            "contact_id",
            "customer_id",
            "campaign_id",
            "offer_id",
            "channel",
            "sent_at",
            "opened_at",
            "clicked_at",
            "converted_order_id",
        ],
    )
    consents = pd.DataFrame(
        [
            ("C1", "email_marketing", True, "2024-01-01 09:00", "web_form", "form:v3"),
            ("C1", "sms_marketing", True, "2024-01-01 09:00", "web_form", "form:v3"),
            ("C1", "sms_marketing", False, "2024-03-01 09:00", "email_link", None),
            ("C1", "profiling", True, "2024-01-01 09:00", "web_form", "form:v3"),
            ("C1", "profiling", False, "2024-05-10 09:00", "web_form", None),
            ("C2", "sms_marketing", True, "2024-03-01 10:00", "store", "slip:2231"),
        ],
        columns=["customer_id", "purpose", "granted", "recorded_at", "source", "proof"],
    )
    return {
        "customers": customers,
        "products": products,
        "orders": orders,
        "events": events,
        "contacts": contacts,
        "consents": consents,
    }
