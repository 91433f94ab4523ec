"""Column names of the data contract, as constants shared by every layer.

Code refers to ``CUSTOMER_ID`` rather than the literal ``"customer_id"`` so a rename is one edit and a
typo is an import error, not a silent empty column.
"""

from __future__ import annotations

# Shared keys
CUSTOMER_ID = "customer_id"
SKU = "sku"
ORDER_ID = "order_id"
CAMPAIGN_ID = "campaign_id"
CHANNEL = "channel"

# customers
CREATED_AT = "created_at"
REGION = "region"
POSTCODE = "postcode"
BIRTH_YEAR = "birth_year"
GENDER = "gender"
ACQUISITION_CHANNEL = "acquisition_channel"
HAS_WEB_ACCOUNT = "has_web_account"
LOYALTY_CARD_ID = "loyalty_card_id"

# products
NAME = "name"
CATEGORY = "category"
SUBCATEGORY = "subcategory"
UNIT_PRICE = "unit_price"
UNIT_MARGIN = "unit_margin"
IN_STOCK = "in_stock"
IS_REPLENISHABLE = "is_replenishable"

# orders (one row per order line)
ORDERED_AT = "ordered_at"
QUANTITY = "quantity"
DISCOUNT = "discount"

# events
EVENT_ID = "event_id"
OCCURRED_AT = "occurred_at"
VISITOR_ID = "visitor_id"
SESSION_ID = "session_id"
EVENT_TYPE = "type"
DEVICE = "device"
SOURCE = "source"

# contacts
CONTACT_ID = "contact_id"
OFFER_ID = "offer_id"
SENT_AT = "sent_at"
OPENED_AT = "opened_at"
CLICKED_AT = "clicked_at"
CONVERTED_ORDER_ID = "converted_order_id"

# assignments (who a campaign picked, and whether they were held out as its control group)
ASSIGNED_AT = "assigned_at"
GROUP = "group"

# consents
PURPOSE = "purpose"
GRANTED = "granted"
RECORDED_AT = "recorded_at"
PROOF = "proof"

# Derived, never stored in the raw tables
LINE_AMOUNT = "line_amount"  # quantity * unit_price * (1 - discount): net of discount, negative for returns
