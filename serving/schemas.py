"""Request and response bodies of the service. Every request is validated here: sizes are bounded,
enums are closed, unknown fields are refused, so a bad request gets a 400 naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from typing_extensions import TypedDict

from features import vocab
from features.clock import to_local

MAX_K = 100
MAX_EVENTS = 1000
MAX_LIST = 200

# Identifiers are opaque but bounded: printable, no separators the stores use, at most 64 characters.
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:@\-]+$")]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f|]+$")]
Text = Annotated[str, StringConstraints(max_length=200)]
EventType = Literal[vocab.EVENT_TYPES]  # type: ignore[valid-type]
Device = Literal[vocab.DEVICES]  # type: ignore[valid-type]
Channel = Literal["email", "sms", "phone", "ads", "push"]
Page = Literal["home", "product", "cart", "category", "search", "checkout", "account", "email"]


def _local(value: datetime) -> datetime:
    """The data contract's times are the retailer's local wall time without a zone: a time with an offset
    is converted to it (``features.clock.to_local``), a time without one is taken as already local."""
    # the range is checked on the time as written, as the schema's pattern says (and before converting:
    # year 1 at +01:00 is before year 1 in UTC, an OverflowError)
    if not datetime(2000, 1, 1) <= value.replace(tzinfo=None) <= datetime(2100, 1, 1):
        raise ValueError("must be between 2000-01-01 and 2100-01-01")
    if value.tzinfo is not None:
        value = to_local(value)
    return value


# The accepted dates and times, said exactly in the schema (JSON Schema has no bounds for dates): years 2000
# to 2099, real days, an offset or none (naive is the contract's convention).


def _day(february: str) -> str:
    return (
        "20[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
        f"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[{february}]))"
    )


DATE_PATTERN = f"^{_day('0-9')}$"  # the 29th of February is left to `format: date`, which knows leap years
CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?"
# no `format: date-time` here (it would require an offset), so no 29th of February either
TIME_PATTERN = f"^{_day('0-8')}T{CLOCK}(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$"
Timestamp = Annotated[
    datetime,
    AfterValidator(_local),
    WithJsonSchema({"type": "string", "pattern": TIME_PATTERN}),
]
# a time the service answers: the retailer's local wall time, without a zone (`format: date-time` would
# promise an offset)
# (the 29th of February included: what the service writes is a real day)
LocalTime = Annotated[datetime, WithJsonSchema({"type": "string", "pattern": f"^{_day('0-9')}T{CLOCK}$"})]
LOCAL_TIME = (
    "ISO 8601. With an offset (`Z`, `+09:00`) it is converted to the retailer's local time (CIBLE_TZ, "
    "default Europe/Paris) and stored without a zone, as the data contract keeps times; without one it is "
    "taken as the retailer's local time."
)


def _in_range(value: date) -> date:
    if not date(2000, 1, 1) <= value <= date(2100, 1, 1):  # pandas dates end in 2262: a 500 past it
        raise ValueError("must be between 2000-01-01 and 2100-01-01")
    return value


SnapshotDate = Annotated[
    date,
    AfterValidator(_in_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]


def _json_integer(value: Any) -> Any:
    """An integer as JSON Schema means it: 4 and 4.0, never "4" nor true (which pydantic's lax mode takes,
    and its strict mode refuses 4.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    return value


def json_int(low: int, high: int) -> Any:
    """An integer between ``low`` and ``high``, taken as :func:`_json_integer` says (the bounds come first:
    after the validator, pydantic documents them as unknown keys instead of minimum and maximum)."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_json_integer)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldProblem(Strict):
    """One refused field of a request: where it is (body keys and indices, or the parameter) and why."""

    loc: list[str | int]
    msg: str
    type: str


class ApiError(Strict):
    """The body of every 4xx and 5xx answer."""

    error: str = Field(description="What was wrong, in one sentence.")
    detail: list[FieldProblem] | None = Field(None, description="Each refused field, for a 400.")


class Context(Strict):
    viewing: Sku | None = Field(None, description="Product on the page being viewed.")
    cart: list[Sku] = Field(default_factory=list, max_length=MAX_LIST, description="Products in the cart.")
    page: Page | None = None


class Event(Strict):
    """One event of the ``events`` contract, as the web site or the app sends it."""

    event_id: Id
    occurred_at: Timestamp = Field(description=f"When it happened. {LOCAL_TIME}")
    visitor_id: Id
    customer_id: Id | None = None
    session_id: Id
    type: EventType
    sku: Sku | None = None
    device: Device
    source: Text | None = None


@dataclass(frozen=True)
class StoredEvent:
    """An :class:`Event` as the online store keeps it (see ``features.online_store.base.StoredEvent``)."""

    event_id: str
    visitor_id: str
    customer_id: str | None
    timestamp: float
    body: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> StoredEvent:
        seconds = (event.occurred_at - EPOCH).total_seconds()
        return cls(
            event.event_id, event.visitor_id, event.customer_id, seconds, event.model_dump(mode="json")
        )


EPOCH = datetime(1970, 1, 1)


class ConsentChange(Strict):
    """One consent given or withdrawn, as the ``consents`` contract records it (proof required to grant)."""

    customer_id: Id
    purpose: Literal[vocab.CONSENT_PURPOSES]  # type: ignore[valid-type]
    granted: StrictBool
    recorded_at: Timestamp | None = Field(
        None, description=f"When the choice was made (default: when the service receives it). {LOCAL_TIME}"
    )
    source: Literal[vocab.CONSENT_SOURCES]  # type: ignore[valid-type]
    proof: Text | None = Field(None, description="Form version, call recording, signed slip.")

    @model_validator(mode="after")
    def _proof_when_granted(self) -> ConsentChange:
        if self.granted and not self.proof:
            raise ValueError("proof is required when consent is granted")
        return self


# Rules a validator applies that the generated JSON Schema cannot say, added to the published document
# (BentoML 1.4 refuses `if`/`then` in the models' own schemas).
SCHEMA_RULES: dict[str, dict[str, Any]] = {
    "retargeting_score__Input": {  # the endpoint refuses a request naming nobody
        "anyOf": [
            {"required": [key], "properties": {key: {"type": "string"}}}
            for key in ("customer_id", "visitor_id")
        ]
    },
    "ConsentChange": {
        "if": {"properties": {"granted": {"const": True}}},
        "then": {"required": ["proof"], "properties": {"proof": {"type": "string", "minLength": 1}}},
    },
}


class Applied(Strict):
    applied: int
    unknown_customers: list[str] = Field(description="Not in the online store: nothing recorded for them.")


class ContactMade(Strict):
    """A message the CRM sent (or a call an adviser made): it counts against the contact-pressure cap at
    once, not only from the next materialisation."""

    contact_id: Id = Field(description="The `contacts` contract's key: a retried report counts once.")
    customer_id: Id
    channel: Literal[vocab.CONTACT_CHANNELS]  # type: ignore[valid-type]
    sent_at: Timestamp | None = Field(
        None,
        description="When it was sent (default: when the service receives it; a time in the future counts "
        f"as now). {LOCAL_TIME}",
    )


class Item(TypedDict):
    """A product of an answer. A plain dict rather than a model: building ten models took a tenth of a
    recommendation's time; the answer that holds them still validates them."""

    sku: str
    score: float
    source: str
    reason: str


class Offer(Strict):
    offer_id: str
    channel: str | None = None
    expected_value: float | None = None


class Recommendations(Strict):
    customer_id: str | None
    visitor_id: str | None
    personal: bool = Field(description="False when the answer uses no profile: unknown or refused profiling.")
    items: list[Item]
    next_best_offer: Offer | None
    model_version: str


class Related(Strict):
    sku: str
    items: list[Item]
    model_version: str


class EventsAccepted(Strict):
    received: int
    stored: int = Field(description="New events; an event_id seen before is not stored twice.")


class FollowUp(Strict):
    allowed: bool
    reason: str
    channel: str | None
    send_at: LocalTime | None = Field(description="When to send it, in the retailer's local time (no zone).")


class RetargetingScore(Strict):
    customer_id: str | None
    visitor_id: str | None
    intent_probability: float
    reasons: list[str]
    follow_up: FollowUp
    items: list[Item]
    next_best_offer: Offer | None
    model_version: str


class CustomerProfile(Strict):
    customer_id: str
    as_of: str | None
    profiled: bool = Field(description="False when the customer refused profiling: no segments nor scores.")
    consent: dict[str, bool]
    segments: dict[str, str | float | int | None]
    scores: dict[str, str | float | int | None]
    risk_band: str | None
    reasons: list[str]
    next_best_offer: Offer | None
    top_items: list[str]


class SegmentSummary(Strict):
    name: str
    kind: str
    members: int


class SegmentPage(Strict):
    name: str
    channel: str | None
    page: int
    page_size: int
    total: int = Field(description="Members allowed on the channel (consent), before paging.")
    removed_for_consent: int
    members: list[dict[str, str | float | int | None]]


class SegmentMove(Strict):
    customer_id: str
    reason: str


class SegmentChanges(Strict):
    name: str
    channel: str | None
    since: str = Field(description="Date of the earlier snapshot compared.")
    until: str = Field(description="Date of the latest snapshot.")
    entered: list[SegmentMove]
    exited: list[SegmentMove]
    removed_for_consent: int


class CampaignResult(Strict):
    """One campaign measured against its control group (features.campaigns.results); rates are shares,
    money is EUR per customer, intervals are 95%; None where no control group measures it."""

    campaign_id: str
    channel: str
    offer_id: str | None
    window_start: LocalTime
    window_end: LocalTime
    has_control: bool
    treated: int
    control: int
    treated_conversion_rate: float | None
    control_conversion_rate: float | None
    treated_revenue_per_customer: float | None
    control_revenue_per_customer: float | None
    treated_margin_per_customer: float | None
    control_margin_per_customer: float | None
    incremental_conversion_rate: float | None
    incremental_conversion_rate_low: float | None
    incremental_conversion_rate_high: float | None
    incremental_margin_per_customer: float | None
    incremental_margin_low: float | None
    incremental_margin_high: float | None
    offer_cost_per_customer: float
    net_incremental_margin: float | None
    balanced: bool
    pre_period_spend_smd: float | None
    note: str


class ModelStatus(Strict):
    version: str | None = Field(description="The live champion's registry version; null when none is live.")
    error: str | None


class Readiness(Strict):
    ready: bool = Field(description="The recommender is live (other models degrade one endpoint each).")
    models: dict[str, ModelStatus]
    batch_models: dict[str, str | None] = Field(description="Champions used by the last materialisation.")


class Reloaded(Readiness):
    changed: dict[str, str] = Field(description="Models whose champion moved, with the version now live.")


class Erased(Strict):
    erased: bool
    removed_from_online_store: bool
    snapshots_rewritten: int
