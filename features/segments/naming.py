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
# ... and "occasional" when it orders this much less often than the base.
OCCASIONAL_RATIO = 0.5


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


def cluster_name(profile: pd.Series, base: pd.Series) -> str:
    """Name one cluster from its mean profile against the mean of all buyers."""
    words = []
    discount = profile.get(n.DISCOUNT_SHARE, 0)
    if discount >= DEAL_FLOOR and discount >= DEAL_LIFT * base.get(n.DISCOUNT_SHARE, 0):
        words.append("deal-seeking")
    if profile.get(n.orders_in(365), 0) <= OCCASIONAL_RATIO * base.get(n.orders_in(365), 0):
        words.append("occasional")
    words += [channel_word(profile), taste_word(profile, base)]
    return " ".join(words)


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
