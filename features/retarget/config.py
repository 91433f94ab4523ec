"""Retargeting settings: triggers and their timing, contact pressure, quiet hours, channel costs.

Read from YAML (``default_config.yaml`` ships with the package) and checked in full before use: a typo
or an impossible value is one :class:`RetargetConfigError` naming the file and the field, never a
silently ignored rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from features.consent_gate import CHANNEL_PURPOSE
from features.errors import CibleError

DEFAULT_CONFIG = Path(__file__).with_name("default_config.yaml")
CART = "cart_abandonment"
WISHLIST = "wishlist"
POST_PURCHASE = "post_purchase"
LAPSING = "lapsing"
TRIGGERS: tuple[str, ...] = (CART, WISHLIST, POST_PURCHASE, LAPSING)
TIMED_TRIGGERS: tuple[str, ...] = (CART, WISHLIST, POST_PURCHASE)


class RetargetConfigError(CibleError, ValueError):
    """The retargeting settings are malformed: the message names the field."""


@dataclass(frozen=True)
class Timing:
    """Contact between ``after_hours`` and ``after_hours + within_hours`` after the trigger event."""

    after_hours: float
    within_hours: float


@dataclass(frozen=True)
class Lapsing:
    min_churn_probability: float = 0.5
    min_value_quantile: float = 0.8  # of predicted 365-day value among the scored customers


@dataclass(frozen=True)
class Pressure:
    max_contacts: int = 2  # across every channel, in the window below, this contact included
    days: int = 7


@dataclass(frozen=True)
class Hours:
    """A daily window from ``start`` to ``end`` (hours 0-24); wraps past midnight when start > end."""

    start: int
    end: int

    def contains(self, hour: float) -> bool:
        if self.start <= self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


@dataclass(frozen=True)
class Channel:
    cost: float  # EUR per contact, answered or not
    response: float  # base P(an order credited to a contact), the prior of each customer's own rate


@dataclass(frozen=True)
class Delivery:
    channels: tuple[str, ...] = ("delivery",)  # order channels the delivery rounds bring
    recent_days: float = 2.0  # delivered up to this many days ago
    soon_days: float = 2.0  # or due within this many days


@dataclass(frozen=True)
class RetargetConfig:
    triggers: dict[str, Timing]
    lapsing: Lapsing
    priority: tuple[str, ...]  # one trigger per customer: the first that applies
    delivery_days: float  # order to doorstep, for the post-purchase clock and delivery rounds
    pressure: Pressure
    quiet_hours: Hours  # no contact starts inside; it moves to the end of the window
    adviser_hours: Hours
    channels: dict[str, Channel]
    primary_channels: tuple[str, ...]  # one of them per customer, the best expected value
    additive_channels: tuple[str, ...]  # on top of the primary one (an ads audience is not a message)
    response_prior_contacts: float  # pseudo-contacts at the channel rate when smoothing a customer's rate
    reference_probability: float  # P(buy within the week) of the customers the response rates come from
    margin_rate: float  # margin share of an order's value
    default_order_value: float  # EUR, for customers without an order
    min_expected_value: float  # EUR: below, no contact is worth it
    delivery: Delivery = field(default_factory=Delivery)

    @property
    def channel_names(self) -> tuple[str, ...]:
        return (*self.primary_channels, *self.additive_channels)


def _fail(source: str, where: str, problem: str) -> RetargetConfigError:
    return RetargetConfigError(f"{source}: {where}: {problem}")


def _mapping(value: Any, source: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(source, where, f"expected a mapping, got {type(value).__name__}")
    return value


def _build(cls: type, value: Any, source: str, where: str) -> Any:
    """A dataclass from a mapping, refusing unknown keys and non-numbers where numbers are expected."""
    data = _mapping(value, source, where)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise _fail(source, where, f"unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}")
    out = {}
    for name, item in data.items():
        wanted = known[name].type
        if wanted in ("float", "int"):
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise _fail(source, f"{where}.{name}", f"expected a number, got {item!r}")
            item = int(item) if wanted == "int" else float(item)
        elif wanted == "tuple[str, ...]":
            if not isinstance(item, list) or not all(isinstance(x, str) for x in item):
                raise _fail(source, f"{where}.{name}", f"expected a list of names, got {item!r}")
            item = tuple(item)
        out[name] = item
    try:
        return cls(**out)
    except TypeError as exc:  # a required field is missing
        raise _fail(source, where, str(exc)) from exc


def _check(ok: bool, source: str, where: str, problem: str) -> None:
    if not ok:
        raise _fail(source, where, problem)


TOP_LEVEL = {
    "triggers",
    "priority",
    "delivery_days",
    "pressure",
    "quiet_hours",
    "adviser_hours",
    "channels",
    "primary_channels",
    "additive_channels",
    "response_prior_contacts",
    "reference_probability",
    "margin_rate",
    "default_order_value",
    "min_expected_value",
    "delivery",
}


def _number(data: dict, key: str, source: str, minimum: float = 0.0) -> float:
    value = data.get(key)
    _check(value is not None, source, key, "missing")
    _check(
        isinstance(value, int | float) and not isinstance(value, bool) and value >= minimum,
        source,
        key,
        f"expected a number ≥ {minimum:g}, got {value!r}",
    )
    return float(value)


def _positive_probability(data: dict, key: str, source: str) -> float:
    value = _number(data, key, source)
    _check(0 < value <= 1, source, key, f"expected a probability above 0, got {value!r}")
    return value


def parse_config(data: Any, source: str = "retargeting settings") -> RetargetConfig:
    data = _mapping(data, source, "top level")
    unknown = sorted(set(data) - TOP_LEVEL)
    _check(not unknown, source, "top level", f"unknown field(s) {', '.join(unknown)}")
    raw_triggers = dict(_mapping(data.get("triggers"), source, "triggers"))
    unknown = sorted(set(raw_triggers) - set(TRIGGERS))
    _check(not unknown, source, "triggers", f"unknown trigger(s) {', '.join(unknown)}; known: {TRIGGERS}")
    lapsing = _build(Lapsing, raw_triggers.pop(LAPSING, {}), source, f"triggers.{LAPSING}")
    _check(0 <= lapsing.min_churn_probability <= 1, source, "triggers.lapsing", "probability not in 0-1")
    _check(0 <= lapsing.min_value_quantile <= 1, source, "triggers.lapsing", "quantile not in 0-1")
    triggers = {}
    for name in TIMED_TRIGGERS:
        _check(name in raw_triggers, source, f"triggers.{name}", "missing")
        timing = _build(Timing, raw_triggers[name], source, f"triggers.{name}")
        _check(timing.after_hours >= 0 and timing.within_hours > 0, source, f"triggers.{name}", "negative")
        triggers[name] = timing
    priority = tuple(data.get("priority", TRIGGERS))
    _check(sorted(priority) == sorted(TRIGGERS), source, "priority", f"must order exactly {TRIGGERS}")
    channels = {
        name: _build(Channel, spec, source, f"channels.{name}")
        for name, spec in _mapping(data.get("channels"), source, "channels").items()
    }
    for name, channel in channels.items():
        _check(name in CHANNEL_PURPOSE, source, f"channels.{name}", "no consent purpose for this channel")
        _check(channel.cost >= 0, source, f"channels.{name}.cost", "negative")
        _check(0 <= channel.response <= 1, source, f"channels.{name}.response", "not in 0-1")
    primary = tuple(data.get("primary_channels", ()))
    additive = tuple(data.get("additive_channels", ()))
    _check(bool(primary), source, "primary_channels", "at least one channel is needed")
    for name in (*primary, *additive):
        _check(name in channels, source, "primary_channels/additive_channels", f"{name!r} not in channels")
    _check(not set(primary) & set(additive), source, "additive_channels", "also a primary channel")
    hours = {}
    for key in ("quiet_hours", "adviser_hours"):
        window = _build(Hours, data.get(key), source, key)
        _check(
            all(isinstance(h, int) and 0 <= h <= 24 for h in (window.start, window.end)),
            source,
            key,
            "start and end must be whole hours 0-24",
        )
        hours[key] = window
    pressure = _build(Pressure, data.get("pressure", {}), source, "pressure")
    _check(pressure.max_contacts >= 0 and pressure.days > 0, source, "pressure", "negative")
    delivery = _build(Delivery, data.get("delivery", {}), source, "delivery")
    return RetargetConfig(
        triggers=triggers,
        lapsing=lapsing,
        priority=priority,
        delivery_days=_number(data, "delivery_days", source),
        pressure=pressure,
        quiet_hours=hours["quiet_hours"],
        adviser_hours=hours["adviser_hours"],
        channels=channels,
        primary_channels=primary,
        additive_channels=additive,
        response_prior_contacts=_number(data, "response_prior_contacts", source),
        reference_probability=_positive_probability(data, "reference_probability", source),
        margin_rate=_number(data, "margin_rate", source),
        default_order_value=_number(data, "default_order_value", source),
        min_expected_value=_number(data, "min_expected_value", source),
        delivery=delivery,
    )


def load_config(path: Path | None = None) -> RetargetConfig:
    """The settings in ``path`` (default: the shipped ``default_config.yaml``)."""
    path = path or DEFAULT_CONFIG
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RetargetConfigError(f"{path}: not valid YAML ({exc})") from exc
    return parse_config(data, str(path))
