"""Cluster names come from profiles, in marketers' words, and never clash."""

from __future__ import annotations

import pandas as pd

from features.segments.naming import cluster_names, unique_names


def profiles() -> tuple[pd.DataFrame, pd.Series]:
    rows = pd.DataFrame(
        {
            "order_share_web": [0.8, 0.05, 0.5, 0.1, 0.45],
            "order_share_app": [0.1, 0.0, 0.3, 0.8, 0.35],
            "order_share_phone": [0.05, 0.85, 0.1, 0.0, 0.1],
            "discount_share": [0.02, 0.01, 0.6, 0.05, 0.03],
            "orders_365d": [4.0, 12.0, 4.0, 14.0, 4.2],
            "avg_order_value": [120.0, 60.0, 80.0, 90.0, 300.0],
            "category_share_epicerie_fine": [0.4, 0.1, 0.1, 0.1, 0.4],
            "category_share_cheese": [0.1, 0.5, 0.1, 0.2, 0.1],
            "category_share_sweets": [0.1, 0.1, 0.5, 0.4, 0.1],
        }
    )
    return rows, rows.mean()


def test_names_say_where_what_and_how() -> None:
    rows, base = profiles()
    names = cluster_names(rows, base)
    assert names[0] == "mid-basket web-first gourmets"  # clashes with row 4, told apart by basket
    assert names[4] == "big-basket web-first gourmets"
    assert names[1] == "frequent phone-loyal cheese lovers"
    assert names[2] == "deal-seeking web-first sweet tooths"
    assert names[3] == "frequent app-first sweet tooths"
    assert len(set(names)) == len(names)


def test_unique_names_avoid_taken_ones() -> None:
    assert unique_names(["a", "a", "b"], taken={"b"}) == ["a", "a 2", "b 2"]
