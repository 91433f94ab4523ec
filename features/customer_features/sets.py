"""Named, versioned feature sets: a model records the set (name and version) it was trained on.

A set lists its fixed columns and the prefixes of columns that depend on the data (one per product
category), so the exact columns are resolved against a built frame and stored with the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from features import vocab
from features.customer_features import names as n


@dataclass(frozen=True)
class FeatureSet:
    name: str
    version: int
    description: str
    columns: tuple[str, ...]
    prefixes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.name}_v{self.version}"

    def resolve(self, available: list[str] | tuple[str, ...]) -> list[str]:
        """The set's columns in ``available``, fixed ones first; a missing fixed column is an error."""
        missing = [col for col in self.columns if col not in available]
        if missing:
            raise KeyError(
                f"feature set {self.key} needs columns absent from the table: {', '.join(missing)}"
            )
        dynamic = [col for col in available if col.startswith(self.prefixes) and col not in self.columns]
        return [*self.columns, *sorted(dynamic)] if self.prefixes else list(self.columns)


PROFILE = (
    n.AGE,
    n.REGION,
    n.GENDER,
    n.ACQUISITION_CHANNEL,
    n.HAS_WEB_ACCOUNT,
    n.HAS_LOYALTY_CARD,
    n.TENURE_DAYS,
)
RFM = (
    n.DAYS_SINCE_LAST_ORDER,
    n.DAYS_SINCE_FIRST_ORDER,
    n.N_ORDERS,
    n.TOTAL_SPEND,
    n.AVG_ORDER_VALUE,
    n.GAP_MEAN_DAYS,
    n.GAP_STD_DAYS,
    n.GAP_LAST_DAYS,
    n.RECENCY_GAP_RATIO,
    *(name for days in n.WINDOWS_DAYS for name in (n.orders_in(days), n.spend_in(days))),
    n.ORDERS_TREND_90D,
    n.SPEND_TREND_90D,
)
CHANNELS = (
    *(
        name
        for ch in vocab.ORDER_CHANNELS
        for name in (n.order_share(ch), n.spend_share(ch), n.avg_basket(ch))
    ),
    n.N_CHANNELS,
    n.DISCOUNT_SHARE,
    n.FIRST_ORDER_VALUE,
)
PRODUCTS = (n.N_CATEGORIES, n.RETURN_RATE)
WEB = (
    *(n.web_count(measure, days) for days in n.WEB_WINDOWS_DAYS for measure in n.WEB_COUNTS),
    n.DAYS_SINCE_LAST_VISIT,
    n.CART_ITEMS_OPEN,
    n.WISHLIST_ITEMS_OPEN,
)
CAMPAIGNS = (
    *(
        n.campaign_measure(measure, channel)
        for channel in (None, *vocab.CONTACT_CHANNELS)
        for measure in n.CAMPAIGN_MEASURES
    ),
    n.DAYS_SINCE_LAST_CONTACT,
)

CUSTOMER_FEATURES_V1 = FeatureSet(
    name="customer",
    version=1,
    description="Profile, RFM and rhythm, channel mix, category shares, web, campaigns and consent.",
    columns=(*PROFILE, *RFM, *CHANNELS, *PRODUCTS, *WEB, *CAMPAIGNS, *n.CONSENT_COLUMNS),
    prefixes=(n.CATEGORY_SHARE_PREFIX,),
)

FEATURE_SETS: dict[str, FeatureSet] = {fs.key: fs for fs in (CUSTOMER_FEATURES_V1,)}
