"""The data contract: seven tables, their columns, types, keys and references.

The schemas are data, read by the validator, the loader, the README table and the generators alike, so
the contract is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from features import columns as c
from features import vocab


class Kind(StrEnum):
    STRING = "string"
    INT = "integer"
    FLOAT = "number"
    BOOL = "boolean"
    DATETIME = "timestamp"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = False
    description: str = ""
    allowed: tuple[str, ...] | None = None  # closed vocabulary for strings
    min_value: float | None = None
    max_value: float | None = None
    nonzero: bool = False
    not_before: str | None = None  # another timestamp column of the same row this one may not precede


@dataclass(frozen=True)
class Reference:
    """Values of ``column`` (when not empty) must exist in ``table.target_column``."""

    column: str
    table: str
    target_column: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    # columns that must hold one value per group of ``group_key`` (e.g. an order's date and channel)
    group_key: str | None = None
    same_within_group: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")


CUSTOMERS = Table(
    name="customers",
    description="One row per known customer.",
    key=(c.CUSTOMER_ID,),
    columns=(
        Column(c.CUSTOMER_ID, Kind.STRING, description="Customer identifier."),
        Column(c.CREATED_AT, Kind.DATETIME, description="When the customer record was created."),
        Column(c.REGION, Kind.STRING, description="Region (French administrative region, or country)."),
        Column(c.POSTCODE, Kind.STRING, nullable=True, description="Postal code, as text."),
        Column(c.BIRTH_YEAR, Kind.INT, nullable=True, min_value=1900, description="Year of birth."),
        Column(c.GENDER, Kind.STRING, nullable=True, allowed=vocab.GENDERS, description="F, M or X."),
        Column(
            c.ACQUISITION_CHANNEL,
            Kind.STRING,
            allowed=vocab.ACQUISITION_CHANNELS,
            description="Channel of the first contact or order.",
        ),
        Column(c.HAS_WEB_ACCOUNT, Kind.BOOL, description="Has an account on the web shop or app."),
        Column(c.LOYALTY_CARD_ID, Kind.STRING, nullable=True, description="Loyalty card number, if any."),
    ),
)

PRODUCTS = Table(
    name="products",
    description=f"One row per SKU. Category `{vocab.NON_PRODUCT_CATEGORY}` marks fees and postage.",
    key=(c.SKU,),
    columns=(
        Column(c.SKU, Kind.STRING, description="Stock keeping unit."),
        Column(c.NAME, Kind.STRING, description="Product name."),
        Column(c.CATEGORY, Kind.STRING, description="Category (e.g. wines, cheese)."),
        Column(c.SUBCATEGORY, Kind.STRING, nullable=True, description="Subcategory."),
        Column(c.UNIT_PRICE, Kind.FLOAT, min_value=0, description="Current list price, EUR incl. VAT."),
        Column(
            c.UNIT_MARGIN,
            Kind.FLOAT,
            description="Gross margin per unit, EUR; may be negative, never above the price.",
        ),
        Column(c.IN_STOCK, Kind.BOOL, description="Available to order now."),
        Column(
            c.IS_REPLENISHABLE,
            Kind.BOOL,
            description="Bought again and again (coffee, cheese) rather than once (a gift box).",
        ),
    ),
)

ORDERS = Table(
    name="orders",
    description="One row per order line; returns are lines with a negative quantity.",
    key=(c.ORDER_ID, c.SKU),
    references=(
        Reference(c.CUSTOMER_ID, "customers", c.CUSTOMER_ID),
        Reference(c.SKU, "products", c.SKU),
    ),
    group_key=c.ORDER_ID,
    same_within_group=(c.CUSTOMER_ID, c.ORDERED_AT, c.CHANNEL),
    columns=(
        Column(c.ORDER_ID, Kind.STRING, description="Order identifier, shared by its lines."),
        Column(c.CUSTOMER_ID, Kind.STRING, nullable=True, description="Empty for guest orders."),
        Column(c.ORDERED_AT, Kind.DATETIME, description="When the order was placed."),
        Column(c.CHANNEL, Kind.STRING, allowed=vocab.ORDER_CHANNELS, description="Sales channel."),
        Column(c.SKU, Kind.STRING, description="Product ordered."),
        Column(c.QUANTITY, Kind.INT, nonzero=True, description="Units; negative for a return."),
        Column(c.UNIT_PRICE, Kind.FLOAT, min_value=0, description="Price paid per unit before discount."),
        Column(
            c.DISCOUNT,
            Kind.FLOAT,
            min_value=0,
            max_value=1,
            description="Discount rate on the line, 0 to 1 (0.15 = 15% off).",
        ),
        Column(c.CAMPAIGN_ID, Kind.STRING, nullable=True, description="Campaign the order is credited to."),
    ),
)

EVENTS = Table(
    name="events",
    description="Web and app behaviour, one row per event.",
    key=(c.EVENT_ID,),
    references=(
        Reference(c.CUSTOMER_ID, "customers", c.CUSTOMER_ID),
        Reference(c.SKU, "products", c.SKU),
    ),
    columns=(
        Column(c.EVENT_ID, Kind.STRING, description="Event identifier."),
        Column(c.OCCURRED_AT, Kind.DATETIME, description="When it happened."),
        Column(c.VISITOR_ID, Kind.STRING, description="Cookie or device identifier."),
        Column(c.CUSTOMER_ID, Kind.STRING, nullable=True, description="Empty until the visitor logs in."),
        Column(c.SESSION_ID, Kind.STRING, description="Visit identifier."),
        Column(c.EVENT_TYPE, Kind.STRING, allowed=vocab.EVENT_TYPES, description="What happened."),
        Column(c.SKU, Kind.STRING, nullable=True, description="Product concerned, if any."),
        Column(c.DEVICE, Kind.STRING, allowed=vocab.DEVICES, description="Device."),
        Column(c.SOURCE, Kind.STRING, nullable=True, description="Referrer or traffic source."),
    ),
)

CONTACTS = Table(
    name="contacts",
    description="Marketing touches: one row per message or call sent to a customer.",
    key=(c.CONTACT_ID,),
    references=(
        Reference(c.CUSTOMER_ID, "customers", c.CUSTOMER_ID),
        Reference(c.CONVERTED_ORDER_ID, "orders", c.ORDER_ID),
    ),
    columns=(
        Column(c.CONTACT_ID, Kind.STRING, description="Contact identifier."),
        Column(c.CUSTOMER_ID, Kind.STRING, description="Customer contacted."),
        Column(c.CAMPAIGN_ID, Kind.STRING, description="Campaign."),
        Column(c.OFFER_ID, Kind.STRING, nullable=True, description="Offer made, if any."),
        Column(c.CHANNEL, Kind.STRING, allowed=vocab.CONTACT_CHANNELS, description="Contact channel."),
        Column(c.SENT_AT, Kind.DATETIME, description="When it was sent (or the call was made)."),
        Column(c.OPENED_AT, Kind.DATETIME, nullable=True, not_before=c.SENT_AT, description="Opened."),
        Column(c.CLICKED_AT, Kind.DATETIME, nullable=True, not_before=c.SENT_AT, description="Clicked."),
        Column(c.CONVERTED_ORDER_ID, Kind.STRING, nullable=True, description="Order it led to."),
    ),
)

ASSIGNMENTS = Table(
    name="assignments",
    description=(
        "Campaign assignments: every customer a campaign picked, sent the message (treated) or held out "
        "at random (control), so its effect can be measured from the data alone. Control rows are never "
        "contacts: nothing that counts contacts counts them."
    ),
    key=(c.CAMPAIGN_ID, c.CUSTOMER_ID),
    references=(Reference(c.CUSTOMER_ID, "customers", c.CUSTOMER_ID),),
    columns=(
        Column(c.CAMPAIGN_ID, Kind.STRING, description="Campaign."),
        Column(c.CUSTOMER_ID, Kind.STRING, description="Customer picked."),
        Column(
            c.ASSIGNED_AT,
            Kind.DATETIME,
            description="When the send was decided (the send time, or when it would have been sent).",
        ),
        Column(c.GROUP, Kind.STRING, allowed=vocab.ASSIGNMENT_GROUPS, description="treated or control."),
        Column(c.CHANNEL, Kind.STRING, allowed=vocab.CONTACT_CHANNELS, description="Campaign channel."),
        Column(c.OFFER_ID, Kind.STRING, nullable=True, description="Offer of the campaign, if any."),
    ),
)

CONSENTS = Table(
    name="consents",
    description="Consent ledger: the latest record per customer and purpose is in force.",
    key=(c.CUSTOMER_ID, c.PURPOSE, c.RECORDED_AT),
    references=(Reference(c.CUSTOMER_ID, "customers", c.CUSTOMER_ID),),
    columns=(
        Column(c.CUSTOMER_ID, Kind.STRING, description="Customer."),
        Column(c.PURPOSE, Kind.STRING, allowed=vocab.CONSENT_PURPOSES, description="Processing purpose."),
        Column(c.GRANTED, Kind.BOOL, description="True if granted, false if refused or withdrawn."),
        Column(c.RECORDED_AT, Kind.DATETIME, description="When the choice was made."),
        Column(c.SOURCE, Kind.STRING, allowed=vocab.CONSENT_SOURCES, description="Where it was collected."),
        Column(
            c.PROOF,
            Kind.STRING,
            nullable=True,
            description="Proof: form version, call recording reference, signed slip. Required when granted.",
        ),
    ),
)

# a missing file of these is an empty table; customers, products and orders are required
OPTIONAL_TABLES: frozenset[str] = frozenset({"events", "contacts", "assignments", "consents"})
TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, PRODUCTS, ORDERS, EVENTS, CONTACTS, ASSIGNMENTS, CONSENTS)
}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

# Rows are ordered by this timestamp when a table is time-sliced (point-in-time features).
TIME_COLUMN: dict[str, str] = {
    "customers": c.CREATED_AT,
    "orders": c.ORDERED_AT,
    "events": c.OCCURRED_AT,
    "contacts": c.SENT_AT,
    "assignments": c.ASSIGNED_AT,
    "consents": c.RECORDED_AT,
}
