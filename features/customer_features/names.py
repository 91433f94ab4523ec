"""Feature column names. Names that repeat per channel, window or category are built by one function each,
so a model can list exactly the columns it uses."""

from __future__ import annotations

from features import vocab

WINDOWS_DAYS: tuple[int, ...] = (30, 90, 180, 365)
WEB_WINDOWS_DAYS: tuple[int, ...] = (7, 30)
CAMPAIGN_WINDOW_DAYS = 90

# Who the customer is
AGE = "age"
REGION = "region"
GENDER = "gender"
ACQUISITION_CHANNEL = "acquisition_channel"
HAS_WEB_ACCOUNT = "has_web_account"
HAS_LOYALTY_CARD = "has_loyalty_card"
TENURE_DAYS = "tenure_days"

# RFM and rhythm
DAYS_SINCE_LAST_ORDER = "days_since_last_order"
DAYS_SINCE_FIRST_ORDER = "days_since_first_order"
N_ORDERS = "n_orders"
TOTAL_SPEND = "total_spend"
AVG_ORDER_VALUE = "avg_order_value"
GAP_MEAN_DAYS = "gap_mean_days"
GAP_STD_DAYS = "gap_std_days"
GAP_LAST_DAYS = "gap_last_days"
RECENCY_GAP_RATIO = "recency_gap_ratio"
ORDERS_TREND_90D = "orders_trend_90d"
SPEND_TREND_90D = "spend_trend_90d"

# Products and baskets
N_CHANNELS = "n_channels"
DISCOUNT_SHARE = "discount_share"
RETURN_RATE = "return_rate"
FIRST_ORDER_VALUE = "first_order_value"
N_CATEGORIES = "n_categories"

# Web
DAYS_SINCE_LAST_VISIT = "days_since_last_visit"
CART_ITEMS_OPEN = "cart_items_open"
WISHLIST_ITEMS_OPEN = "wishlist_items_open"
WEB_COUNTS: tuple[str, ...] = ("sessions", "product_views", "cart_adds", "abandoned_carts", "wishlist_adds")

# Campaigns
DAYS_SINCE_LAST_CONTACT = "days_since_last_contact"
CAMPAIGN_MEASURES: tuple[str, ...] = ("contacts", "open_rate", "click_rate", "conversion_rate")


def orders_in(days: int) -> str:
    return f"orders_{days}d"


def spend_in(days: int) -> str:
    return f"spend_{days}d"


def order_share(channel: str) -> str:
    return f"order_share_{channel}"


def spend_share(channel: str) -> str:
    return f"spend_share_{channel}"


def avg_basket(channel: str) -> str:
    return f"avg_basket_{channel}"


def category_share(category: str) -> str:
    return f"category_share_{category}"


def web_count(measure: str, days: int) -> str:
    return f"{measure}_{days}d"


def campaign_measure(measure: str, channel: str | None = None) -> str:
    suffix = f"_{channel}" if channel else ""
    return f"{measure}_{CAMPAIGN_WINDOW_DAYS}d{suffix}"


def consent(purpose: str) -> str:
    return f"consent_{purpose}"


CONSENT_COLUMNS: tuple[str, ...] = tuple(consent(p) for p in vocab.CONSENT_PURPOSES)
CATEGORY_SHARE_PREFIX = "category_share_"
