"""Names for behavioural clusters, from their profile, in words a marketer uses ("web-first gourmets")."""

from __future__ import annotations

import pandas as pd

from features.customer_features import names as n

CATEGORY_NOUNS: dict[str, str] = {
    "wines": "wine lovers",
    "cheese": "cheese lovers",
    "charcuterie": "charcuterie fans",
    "epicerie_fine": "gourmets",
    "gift_boxes": "gift buyers",
    "fruits_legumes": "fresh-produce shoppers",
    "coffee_tea": "coffee & tea drinkers",
    "sweets": "sweet tooths",
    "music": "music buyers",
}
# A cluster is "deal-seeking" when it uses discounts this much more than the base, and on a real share.
DEAL_LIFT, DEAL_FLOOR = 1.5, 0.25
# ... "occasional" or "frequent" when it orders this much less or more often than the base ...
OCCASIONAL_RATIO, FREQUENT_RATIO = 0.5, 1.5
# ... and has a big or small basket beyond these ratios (used only to tell clashing names apart).
BIG_BASKET_RATIO, SMALL_BASKET_RATIO = 1.25, 0.8


def channel_word(profile: pd.Series) -> str:
    web, app = profile.get(n.order_share("web"), 0), profile.get(n.order_share("app"), 0)
    shares = {
        "phone-loyal": profile.get(n.order_share("phone"), 0),
        "in-store": profile.get(n.order_share("store"), 0),
        "catalogue": profile.get(n.order_share("catalogue"), 0),
        "home-delivery": profile.get(n.order_share("delivery"), 0),
        "app-first" if app > web else "web-first": web + app,
    }
    word, share = max(shares.items(), key=lambda kv: kv[1])
    return word if share >= 0.5 else "multichannel"


def taste_word(profile: pd.Series, base: pd.Series) -> str:
    lifts = {
        col.removeprefix(n.CATEGORY_SHARE_PREFIX): profile[col] / max(base[col], 1e-9)
        for col in profile.index
        if col.startswith(n.CATEGORY_SHARE_PREFIX)
    }
    if not lifts:
        return "shoppers"
    category = max(lifts, key=lambda k: lifts[k])
    return CATEGORY_NOUNS.get(category, f"{category.replace('_', ' ')} buyers")


def _qualifiers(profile: pd.Series, base: pd.Series) -> list[str]:
    words = []
    discount = profile.get(n.DISCOUNT_SHARE, 0)
    if discount >= DEAL_FLOOR and discount >= DEAL_LIFT * base.get(n.DISCOUNT_SHARE, 0):
        words.append("deal-seeking")
    frequency, usual = profile.get(n.orders_in(365), 0), base.get(n.orders_in(365), 0)
    if frequency <= OCCASIONAL_RATIO * usual:
        words.append("occasional")
    elif frequency >= FREQUENT_RATIO * usual:
        words.append("frequent")
    return words


def _basket_word(profile: pd.Series, base: pd.Series) -> str:
    basket, usual = profile.get(n.AVG_ORDER_VALUE, 0), max(base.get(n.AVG_ORDER_VALUE, 0), 1e-9)
    if basket >= BIG_BASKET_RATIO * usual:
        return "big-basket"
    if basket <= SMALL_BASKET_RATIO * usual:
        return "small-basket"
    return "mid-basket"


def cluster_names(profiles: pd.DataFrame, base: pd.Series) -> list[str]:
    """Name each cluster (a row of mean profiles) against the mean of all buyers.

    A name says how often, where and what the group buys ("frequent in-store fresh-produce shoppers");
    clusters that would share a name are told apart by basket size, then by a number.
    """
    parts = [
        (_qualifiers(row, base), channel_word(row), taste_word(row, base), _basket_word(row, base))
        for _, row in profiles.iterrows()
    ]
    names = [" ".join([*q, ch, taste]) for q, ch, taste, _ in parts]
    clashes = {name for name in names if names.count(name) > 1}
    names = [
        " ".join([*q, basket, ch, taste]) if name in clashes else name
        for name, (q, ch, taste, basket) in zip(names, parts, strict=True)
    ]
    return unique_names(names)


def unique_names(names: list[str], taken: set[str] | None = None) -> list[str]:
    """Suffix repeated names (" 2", " 3") so every cluster has its own, avoiding names already taken."""
    used = set(taken or ())
    out = []
    for name in names:
        candidate, i = name, 2
        while candidate in used:
            candidate, i = f"{name} {i}", i + 1
        used.add(candidate)
        out.append(candidate)
    return out
