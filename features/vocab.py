"""Closed vocabularies of the data contract: every enum column accepts exactly these values."""

from __future__ import annotations

# Where an order was placed (and where a customer was acquired).
ORDER_CHANNELS: tuple[str, ...] = ("web", "app", "phone", "catalogue", "store", "delivery")
ACQUISITION_CHANNELS: tuple[str, ...] = (*ORDER_CHANNELS, "partner", "event")

# Marketing touches.
CONTACT_CHANNELS: tuple[str, ...] = ("email", "sms", "phone", "mail", "push", "ads")

# A campaign's pick: sent the message (treated) or held out at random to measure its effect (control).
TREATED = "treated"
CONTROL = "control"
ASSIGNMENT_GROUPS: tuple[str, ...] = (TREATED, CONTROL)

EVENT_TYPES: tuple[str, ...] = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "wishlist_add",
    "checkout_start",
    "purchase",
)
DEVICES: tuple[str, ...] = ("desktop", "mobile", "tablet", "app")
GENDERS: tuple[str, ...] = ("F", "M", "X")

CONSENT_PURPOSES: tuple[str, ...] = (
    "email_marketing",
    "sms_marketing",
    "phone_marketing",
    "retargeting_ads",
    "profiling",
)
CONSENT_SOURCES: tuple[str, ...] = (
    "web_form",
    "app",
    "phone_call",
    "store",
    "mail",
    "email_link",
    "import",
)

# A product row in this category is not a product (postage, fees, manual adjustments): it may be
# ordered, but is never recommended and never counts as a category preference.
NON_PRODUCT_CATEGORY = "non_product"
