"""The marketing calendar and the contacts it sends, with opens, clicks and conversions.

Scheduled campaigns (newsletters, SMS flash sales, push, adviser call waves, printed catalogues, a
"try the web shop" offer) go to every customer who existed and had granted the channel's consent at
send time. Responses depend on the customer's type, personal responsiveness, affinity to the offer's
category, appetite for discounts and the fading of a customer about to churn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import vocab
from features.synth.calendar import DAY, HOUR, MINUTE, Calendar, at_channel_hours
from features.synth.consents import Consents
from features.synth.ids import NEVER, to_datetime
from features.synth.population import Population
from features.synth.profiles import CATEGORIES

OFFERS: tuple[str, ...] = ("WELCOME", "WEB5", "FREE_DELIVERY", "FLASH20", *(f"CAT15_{c}" for c in CATEGORIES))
OFFER_DISCOUNT = np.array([0.10, 0.05, 0.0, 0.20, *([0.15] * len(CATEGORIES))])
OFFER_CATEGORY = np.array([-1, -1, -1, -1, *range(len(CATEGORIES))])
CH = {name: i for i, name in enumerate(vocab.CONTACT_CHANNELS)}
ORDER_CH = {name: i for i, name in enumerate(vocab.ORDER_CHANNELS)}

# Per contact channel (vocab.CONTACT_CHANNELS order): probability of an open (SMS, mail and ads are not
# tracked; a call "opens" when answered), of a click (after an open where tracked), of an order.
OPEN = np.array([0.24, 0.0, 0.55, 0.0, 0.12, 0.0])
CLICK = np.array([0.12, 0.05, 0.0, 0.0, 0.20, 0.012])
CONVERT = np.array([0.15, 0.15, 0.12, 0.025, 0.15, 0.12])
# After churn a customer still opens a little and never buys.
CHURNED_OPEN = 0.25
DISCOUNT_PULL = 6.0  # conversion odds x (1 + DISCOUNT_PULL * discount * discount sensitivity)


@dataclass(frozen=True)
class CampaignTable:
    names: tuple[str, ...]
    channel: np.ndarray  # contact channel
    offer: np.ndarray  # index into OFFERS, -1 for none

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass(frozen=True)
class Contacts:
    customer: np.ndarray
    campaign: np.ndarray
    channel: np.ndarray
    offer: np.ndarray
    sent_at: np.ndarray
    opened_at: np.ndarray  # NEVER when not opened
    clicked_at: np.ndarray
    convert_at: np.ndarray  # time of the order it leads to, NEVER if none
    order_channel: np.ndarray  # order channel of that order, -1 if none
    sku: np.ndarray  # product the order must hold (a reminded cart, a retargeted view), -1 if none

    @staticmethod
    def concat(batches: list[Contacts]) -> Contacts:
        return Contacts(
            *(np.concatenate([getattr(b, f) for b in batches]) for f in Contacts.__dataclass_fields__)
        )


@dataclass(frozen=True)
class Wave:
    """One scheduled send: who may receive it is decided by ``audience`` in ``scheduled_contacts``."""

    name: str
    channel: str
    offer: str | None
    start: int
    spread: int  # seconds over which the sends are spread
    audience: str  # all, app, phone_list, catalogue_list, not_web


def waves(cal: Calendar) -> list[Wave]:
    """The calendar of scheduled campaigns (a few hundred: a loop over them is fine)."""
    out: list[Wave] = []
    start_day = pd.Timestamp(to_datetime(np.array([cal.start]))[0])
    end_day = pd.Timestamp(to_datetime(np.array([cal.end]))[0])

    def sec(ts: pd.Timestamp) -> int:
        return int(ts.value // 1_000_000_000)

    for i, day in enumerate(pd.date_range(start_day, end_day, freq="2W-THU")):
        offer = f"CAT15_{CATEGORIES[(i // 3) % len(CATEGORIES)]}" if i % 3 == 1 else None
        offer = offer or ("FREE_DELIVERY" if day.month in (11, 12) else None)
        out.append(Wave(f"nl_{day:%Y_%m_%d}", "email", offer, sec(day) + 10 * HOUR, 2 * HOUR, "all"))
    for i, day in enumerate(pd.date_range(start_day, end_day, freq="2W-SAT")):
        offer = f"CAT15_{CATEGORIES[(i * 3) % len(CATEGORIES)]}" if i % 2 else None
        out.append(Wave(f"push_{day:%Y_%m_%d}", "push", offer, sec(day) + 11 * HOUR, HOUR, "app"))
    for month in pd.date_range(start_day, end_day, freq="MS"):
        tuesday = month + pd.offsets.Week(1, weekday=1)
        out.append(Wave(f"sms_flash_{month:%Y_%m}", "sms", "FLASH20", sec(tuesday) + 12 * HOUR, HOUR, "all"))
        monday = month + pd.offsets.Week(weekday=0)
        offer = "CAT15_gift_boxes" if month.month == 11 else None
        out.append(Wave(f"phone_{month:%Y_%m}", "phone", offer, sec(monday), 14 * DAY, "phone_list"))
        season = {3: "spring", 6: "summer", 9: "autumn", 11: "christmas"}.get(month.month)
        if season:
            offer = "FREE_DELIVERY" if season == "christmas" else None
            drop = sec(month + pd.Timedelta(days=4))
            out.append(Wave(f"catalogue_{month:%Y}_{season}", "mail", offer, drop, 3 * DAY, "catalogue_list"))
        if month.month in (2, 5, 8, 10):
            wednesday = sec(month + pd.offsets.Week(1, weekday=2)) + 9 * HOUR
            out.append(Wave(f"web5_{month:%Y_%m}", "email", "WEB5", wednesday, 2 * HOUR, "not_web"))
        if month.month == 12:
            noel = sec(month + pd.Timedelta(days=9)) + 12 * HOUR
            out.append(Wave(f"sms_noel_{month:%Y}", "sms", "FREE_DELIVERY", noel, HOUR, "all"))
    return [w for w in out if cal.start <= w.start and w.start + w.spread < cal.end]


def campaign_table(cal: Calendar, scheduled: list[Wave]) -> CampaignTable:
    """Scheduled waves plus the triggered campaigns (welcome, cart reminders, monthly retargeting)."""
    months = pd.date_range(
        pd.Timestamp(to_datetime(np.array([cal.start]))[0]), periods=cal.n_days // 28 + 2, freq="MS"
    )
    retarget = [f"retarget_{m:%Y_%m}" for m in months]
    names = [w.name for w in scheduled] + ["welcome", "cart_reminder", *retarget]
    channels = [w.channel for w in scheduled] + ["email", "email"] + ["ads"] * len(retarget)
    offers = [w.offer for w in scheduled] + ["WELCOME", None] + [None] * len(retarget)
    return CampaignTable(
        names=tuple(names),
        channel=np.array([CH[ch] for ch in channels]),
        offer=np.array([OFFERS.index(o) if o else -1 for o in offers]),
    )


def scheduled_contacts(
    rng: np.random.Generator,
    cal: Calendar,
    pop: Population,
    consents: Consents,
    table: CampaignTable,
    scheduled: list[Wave],
    boost: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> Contacts:
    """Every scheduled send to the consented audience; ``boost(customer, offer, channel)`` scales each
    send's conversion odds (the response types of features.synth.uplift)."""
    mix = pop.channel_mix
    offline = mix[:, ORDER_CH["phone"]] + mix[:, ORDER_CH["catalogue"]] + mix[:, ORDER_CH["delivery"]]
    digital = mix[:, ORDER_CH["web"]] + mix[:, ORDER_CH["app"]]
    lists = {
        "all": np.ones(pop.n, dtype=bool),
        "app": pop.app_user,
        "phone_list": (offline > 0.25) | pop.is_senior | (rng.random(pop.n) < 0.05),
        "catalogue_list": (offline > 0.2) | pop.is_senior | (rng.random(pop.n) < 0.15),
        "not_web": digital < 0.25,
    }
    batches = []
    for wave in scheduled:
        customer = np.flatnonzero(lists[wave.audience] & (pop.created_at < wave.start))
        sent = wave.start + rng.integers(0, wave.spread, customer.size)
        channel = np.full(customer.size, CH[wave.channel])
        if wave.channel == "phone":
            phone = np.full(customer.size, ORDER_CH["phone"])
            sent = at_channel_hours(rng, cal, sent, phone, sent - 3 * DAY, np.full(customer.size, cal.end))
        ok = consents.granted_at(customer, channel, sent) & (pop.created_at[customer] < sent)
        batches.append((customer[ok], np.full(ok.sum(), table.index(wave.name)), sent[ok]))
    customer, campaign, sent = (np.concatenate(parts) for parts in zip(*batches, strict=True))
    factor = 1.0 if boost is None else boost(customer, table.offer[campaign], table.channel[campaign])
    return respond(rng, cal, pop, table, customer, campaign, sent, convert_boost=factor)


def welcome_contacts(
    rng: np.random.Generator, cal: Calendar, pop: Population, consents: Consents, table: CampaignTable
) -> Contacts:
    """A welcome e-mail with a first-order discount shortly after sign-up, where e-mail was granted."""
    customer = np.flatnonzero(pop.created_at >= cal.start)
    sent = pop.created_at[customer] + rng.integers(10 * MINUTE, 2 * HOUR, customer.size)
    ok = (sent < cal.end) & consents.granted_at(customer, np.full(customer.size, CH["email"]), sent)
    campaign = np.full(ok.sum(), table.index("welcome"))
    return respond(rng, cal, pop, table, customer[ok], campaign, sent[ok])


def respond(
    rng: np.random.Generator,
    cal: Calendar,
    pop: Population,
    table: CampaignTable,
    customer: np.ndarray,
    campaign: np.ndarray,
    sent: np.ndarray,
    convert_boost: np.ndarray | float = 1.0,
) -> Contacts:
    """Opens, clicks and conversions of contacts already sent."""
    n = customer.size
    channel, offer = table.channel[campaign], table.offer[campaign]
    alive = sent < pop.churn_at[customer]
    mult = np.sqrt(pop.response[customer, channel] * pop.fade(customer, sent))
    open_p = np.clip(OPEN[channel] * mult * np.where(alive, 1.0, CHURNED_OPEN), 0, 0.95)
    opened = rng.random(n) < open_p
    tracked_open = OPEN[channel] > 0
    click_p = np.clip(CLICK[channel] * mult, 0, 0.95) * alive
    clicked = (opened | ~tracked_open) & (rng.random(n) < click_p)

    discount = np.where(offer >= 0, OFFER_DISCOUNT[offer], 0.0)
    pull = 1.0 + DISCOUNT_PULL * discount * pop.discount_sensitivity[customer]
    category = np.where(offer >= 0, OFFER_CATEGORY[offer], -1)
    affinity = pop.category_mix[customer, np.maximum(category, 0)] * len(CATEGORIES)
    pull *= np.where(category >= 0, np.clip(affinity, 0.1, 4.0) ** 0.8, 1.0)
    pull *= np.where(offer == OFFERS.index("FREE_DELIVERY"), 1.3, 1.0)
    # Calls and catalogues sell without a click; the others convert through one.
    gate = np.where(channel == CH["phone"], opened, np.where(channel == CH["mail"], True, clicked))
    convert_p = np.clip(CONVERT[channel] * mult * pull * convert_boost, 0, 0.9)
    converted = gate & alive & (rng.random(n) < convert_p)

    opened_at = (
        np.select(
            [channel == CH["email"], channel == CH["push"], channel == CH["phone"]],
            [rng.exponential(5 * HOUR, n), rng.exponential(40 * MINUTE, n), rng.uniform(5, 25, n)],
            0,
        ).astype(np.int64)
        + sent
        + 1
    )
    opened_at = np.where(opened & tracked_open, opened_at, NEVER)
    click_from = np.where(tracked_open, opened_at, sent)
    click_delay = np.where(channel == CH["sms"], rng.exponential(20 * MINUTE, n), rng.exponential(90, n))
    clicked_at = np.where(clicked, click_from + 1 + click_delay.astype(np.int64), NEVER)

    delay = np.select(
        [channel == CH["phone"], channel == CH["mail"]],
        [rng.uniform(4, 15, n) * MINUTE, rng.uniform(2, 25, n) * DAY],
        rng.uniform(3, 45, n) * MINUTE,
    ).astype(np.int64)
    convert_at = np.where(channel == CH["phone"], opened_at, clicked_at)
    convert_at = np.where(channel == CH["mail"], sent, convert_at) + delay
    to_app = (channel == CH["push"]) | (pop.app_user[customer] & (rng.random(n) < 0.6))
    order_channel = np.select(
        [channel == CH["phone"], channel == CH["mail"], offer == OFFERS.index("WEB5")],
        [
            ORDER_CH["phone"],
            np.where(rng.random(n) < 0.55, ORDER_CH["catalogue"], ORDER_CH["phone"]),
            ORDER_CH["web"],
        ],
        np.where(to_app, ORDER_CH["app"], ORDER_CH["web"]),
    )
    mail_order = converted & (channel == CH["mail"])
    convert_at[mail_order] = at_channel_hours(
        rng,
        cal,
        convert_at[mail_order],
        order_channel[mail_order],
        sent[mail_order],
        pop.stop[customer[mail_order]],
    )
    converted &= convert_at < pop.stop[customer]
    opened_at = np.where(opened_at < cal.end, opened_at, NEVER)
    clicked_at = np.where(clicked_at < cal.end, clicked_at, NEVER)
    converted &= (
        (clicked_at < NEVER) | (channel == CH["mail"]) | ((channel == CH["phone"]) & (opened_at < NEVER))
    )
    return Contacts(
        customer=customer,
        campaign=campaign,
        channel=channel,
        offer=offer,
        sent_at=sent,
        opened_at=opened_at,
        clicked_at=clicked_at,
        convert_at=np.where(converted, convert_at, NEVER),
        order_channel=np.where(converted, order_channel, -1),
        sku=np.full(n, -1),
    )
