"""What a visitor's own events say at request time: cart, views, wish list and purchases (newest first)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CART_ADD, CART_REMOVE, PURCHASE, VIEW = "add_to_cart", "remove_from_cart", "purchase", "product_view"
WISH = "wishlist_add"
CONTEXT_VIEWS = 5  # a visitor's last product views that count


def as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class Session:
    """What a visitor's events say now: the cart, the latest products viewed, the wish list, and the
    products bought after the record's cutoff (which no answer may offer again)."""

    cart: list[str]
    viewed: list[str]
    wished: list[str]
    bought: list[str]


def read_session(events: Sequence[Mapping[str, Any]], since: datetime | None) -> Session:
    """From a visitor's events, newest first; purchases count from ``since`` (all when None)."""
    cart: dict[str, bool] = {}
    viewed: list[str] = []
    wished: list[str] = []
    bought: list[str] = []
    for e in events:
        sku, kind = e.get("sku"), e.get("type")
        if not sku:
            continue
        if kind in (CART_ADD, CART_REMOVE) and sku not in cart:
            cart[sku] = kind == CART_ADD  # the newest cart event of a product decides
        elif kind == VIEW and sku not in viewed and len(viewed) < CONTEXT_VIEWS:
            viewed.append(sku)
        elif kind == WISH and sku not in wished:
            wished.append(sku)
        elif kind == PURCHASE and (since is None or as_datetime(e["occurred_at"]) >= since):
            bought.append(sku)
    in_cart = [sku for sku, inside in cart.items() if inside and sku not in bought]
    return Session(in_cart, viewed, [sku for sku in wished if sku not in bought], bought)
