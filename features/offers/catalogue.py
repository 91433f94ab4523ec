"""The offer catalogue: what may be offered, on which channels, at what cost, to whom and when.

Read from YAML and checked in full before use, so a typo in a rule or a channel is one clear error
naming the offer and the field, never a silently ignored rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from features import vocab
from features.errors import CibleError

# Eligibility rules an offer may name; each is a predicate on a customer's history (features.offers.eligible).
RULES: dict[str, str] = {
    "new_customer": "no order yet",
    "has_ordered": "at least one order",
    "no_web_order": "no order on the web or the app yet",
    "no_web_account": "no web account yet",
    "no_loyalty_card": "no loyalty card yet",
}
OFFER_FIELDS = (
    "id",
    "name",
    "channels",
    "cost",
    "value",
    "eligibility",
    "valid_from",
    "valid_to",
    "category",
    "categories",
)
# ``category: favourite`` makes a category coupon personal: each customer gets it on the category they
# bought most before the date, among the offer's ``categories`` (every product category when unset).
FAVOURITE_CATEGORY = "favourite"


class OfferCatalogueError(CibleError, ValueError):
    """The offer catalogue file is malformed: the message names the offer and the field."""


@dataclass(frozen=True)
class Offer:
    id: str
    name: str
    channels: tuple[str, ...]
    cost: float  # EUR spent per offer made (sending, handling), whether accepted or not
    value: float  # EUR of margin an acceptance brings, net of the discount it grants
    eligibility: tuple[str, ...] = ()
    valid_from: pd.Timestamp | None = None
    valid_to: pd.Timestamp | None = None  # exclusive
    category: str | None = None  # for category coupons: a category, or FAVOURITE_CATEGORY (per customer)
    categories: tuple[str, ...] = ()  # the categories a per-customer coupon may be on; () = every one

    @property
    def per_customer_category(self) -> bool:
        return self.category == FAVOURITE_CATEGORY

    def valid_at(self, at: pd.Timestamp) -> bool:
        return (self.valid_from is None or at >= self.valid_from) and (
            self.valid_to is None or at < self.valid_to
        )


@dataclass(frozen=True)
class OfferCatalogue:
    offers: tuple[Offer, ...]
    max_offers_per_week: int = 1  # across every channel: marketing pressure

    def by_id(self, offer_id: str) -> Offer:
        for offer in self.offers:
            if offer.id == offer_id:
                return offer
        raise KeyError(offer_id)


def _fail(where: str, message: str) -> OfferCatalogueError:
    return OfferCatalogueError(f"offer catalogue, {where}: {message}")


def _date(value: Any, where: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise _fail(where, f"{value!r} is not a date (use YYYY-MM-DD)") from exc


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _fail(where, f"{value!r} must be a number >= 0")
    return float(value)


def parse_offer(raw: Any, position: int) -> Offer:
    if not isinstance(raw, dict):
        raise _fail(f"offer #{position}", "must be a mapping of fields")
    offer_id = raw.get("id")
    if not isinstance(offer_id, str) or not offer_id:
        raise _fail(f"offer #{position}", "needs an `id` (text)")
    where = f"offer {offer_id!r}"
    unknown = set(raw) - set(OFFER_FIELDS)
    if unknown:
        raise _fail(where, f"unknown field(s) {sorted(unknown)}; allowed: {', '.join(OFFER_FIELDS)}")
    channels = raw.get("channels")
    if not isinstance(channels, list) or not channels:
        raise _fail(f"{where}.channels", "needs a non-empty list of channels")
    bad = [ch for ch in channels if ch not in vocab.CONTACT_CHANNELS]
    if bad:
        raise _fail(f"{where}.channels", f"unknown {bad}; use {', '.join(vocab.CONTACT_CHANNELS)}")
    rules = raw.get("eligibility") or []
    if not isinstance(rules, list) or [r for r in rules if r not in RULES]:
        raise _fail(f"{where}.eligibility", f"{rules!r}: each rule must be one of {', '.join(RULES)}")
    for name in ("cost", "value"):
        if name not in raw:
            raise _fail(where, f"needs `{name}` (EUR)")
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not category):
        raise _fail(f"{where}.category", f"{category!r} must be a category name or {FAVOURITE_CATEGORY!r}")
    categories = raw.get("categories") or []
    if not isinstance(categories, list) or [x for x in categories if not isinstance(x, str) or not x]:
        raise _fail(f"{where}.categories", f"{categories!r} must be a list of category names")
    if categories and category != FAVOURITE_CATEGORY:
        raise _fail(f"{where}.categories", f"only with `category: {FAVOURITE_CATEGORY}`")
    valid_from = _date(raw.get("valid_from"), f"{where}.valid_from")
    valid_to = _date(raw.get("valid_to"), f"{where}.valid_to")
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise _fail(where, f"valid_to {valid_to:%Y-%m-%d} is not after valid_from {valid_from:%Y-%m-%d}")
    return Offer(
        id=offer_id,
        name=str(raw.get("name", offer_id)),
        channels=tuple(channels),
        cost=_number(raw["cost"], f"{where}.cost"),
        value=_number(raw["value"], f"{where}.value"),
        eligibility=tuple(rules),
        valid_from=valid_from,
        valid_to=valid_to,
        category=category,
        categories=tuple(categories),
    )


def parse_catalogue(raw: Any) -> OfferCatalogue:
    if not isinstance(raw, dict) or not isinstance(raw.get("offers"), list) or not raw["offers"]:
        raise _fail("top level", "needs an `offers:` list with at least one offer")
    offers = tuple(parse_offer(item, i + 1) for i, item in enumerate(raw["offers"]))
    ids = [o.id for o in offers]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise _fail("top level", f"duplicate offer ids {duplicates}")
    per_week = raw.get("max_offers_per_week", 1)
    if isinstance(per_week, bool) or not isinstance(per_week, int) or per_week < 1:
        raise _fail("max_offers_per_week", f"{per_week!r} must be a whole number >= 1")
    return OfferCatalogue(offers=offers, max_offers_per_week=per_week)


def load_catalogue(path: Path) -> OfferCatalogue:
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise OfferCatalogueError(f"offer catalogue {path} is not valid YAML: {exc}") from exc
    return parse_catalogue(raw)


DEFAULT_CATALOGUE = Path(__file__).with_name("default_catalogue.yaml")
