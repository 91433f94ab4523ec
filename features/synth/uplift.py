"""Causal truth of the scheduled campaigns: hidden response types and random control groups.

Each customer has a hidden response type per offer x contact channel, drawn from observable traits:
*persuadable* (buys the campaign's order only if contacted; likelier with a discount for a bargain
hunter, and on the channels the customer answers), *sure thing* (buys it anyway: heavy buyers),
*do not disturb* (buys it only if left alone: younger customers called by phone, seniors texted or
pushed) and *lost cause* (neither). Every scheduled wave holds out ``CONTROL_SHARE`` of its consented
audience at random: the control customers get no contact but an ``assignments`` row stamped with
when they would have been sent to. The campaign's order exists in the treated world for persuadables
and sure things, in the control world for sure things and do-not-disturbs (then uncredited, without
the offer's discount), both with the same draw, so each assignment's two potential outcomes are known
and written to ``truth/assignments``. Welcome e-mails, cart reminders and retargeting keep their
former response model and have no control group.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from features import vocab
from features.synth.campaigns import CH, OFFER_CATEGORY, OFFER_DISCOUNT, OFFERS, CampaignTable, Contacts
from features.synth.ids import NEVER
from features.synth.orders import HELD_OUT, OrderIntents
from features.synth.population import Population
from features.synth.profiles import CATEGORIES

RESPONSE_TYPES: tuple[str, ...] = ("persuadable", "sure_thing", "lost_cause", "do_not_disturb")
PERSUADABLE, SURE_THING, LOST_CAUSE, DO_NOT_DISTURB = range(4)
CONTROL_SHARE = 0.15
# Conversion odds of a send by type, against the response model before types existed: the types who buy
# because of (or despite) a campaign buy more readily; lost causes never do.
TYPE_BOOST = np.array([10.0, 3.0, 1.0, 3.0])  # RESPONSE_TYPES order


def type_probabilities(
    pop: Population, customer: np.ndarray, offer: np.ndarray, channel: np.ndarray
) -> np.ndarray:
    """rows x RESPONSE_TYPES probabilities for (customer, offer index or -1, contact channel index)."""
    discount = np.where(offer >= 0, OFFER_DISCOUNT[np.maximum(offer, 0)], 0.0)
    category = np.where(offer >= 0, OFFER_CATEGORY[np.maximum(offer, 0)], -1)
    affinity = pop.category_mix[customer, np.maximum(category, 0)] * len(CATEGORIES)
    answer = np.sqrt(np.clip(pop.response[customer, channel], 0.3, 2.0))
    # Heavy buyers buy anyway (sure things); the ones a campaign moves are occasional buyers who answer
    # the channel and like the offer: the customers a response model does not rank first.
    heavy = np.minimum(pop.orders_per_year[customer] / 12.0, 1.0)
    persuadable = (0.15 + 1.5 * discount * pop.discount_sensitivity[customer]) * answer * (1.3 - heavy)
    persuadable *= np.where(category >= 0, np.clip(affinity, 0.3, 2.0), 1.0)
    persuadable = np.clip(persuadable, 0.03, 0.6)
    sure = 0.05 + 0.55 * heavy
    senior = pop.is_senior[customer]
    dnd = 0.01 + 0.06 * ((channel == CH["phone"]) & ~senior)
    dnd += 0.05 * (np.isin(channel, [CH["sms"], CH["push"]]) & senior)
    total = persuadable + sure + dnd
    scale = np.where(total > 0.95, 0.95 / total, 1.0)
    p = np.stack([persuadable * scale, sure * scale, np.zeros_like(total), dnd * scale], axis=1)
    p[:, LOST_CAUSE] = 1.0 - p.sum(axis=1)
    return p


@dataclass(frozen=True)
class ResponseTypes:
    """One uniform draw per customer x (offer or none) x contact channel: the type of any pair is the
    same whatever campaign asks, so a customer persuadable by text for FLASH20 stays so all period."""

    pop: Population
    draws: np.ndarray  # (customers, offers + 1, contact channels), float32

    @staticmethod
    def draw(rng: np.random.Generator, pop: Population) -> ResponseTypes:
        shape = (pop.n, len(OFFERS) + 1, len(vocab.CONTACT_CHANNELS))
        return ResponseTypes(pop, rng.random(shape, dtype=np.float32))

    def of(self, customer: np.ndarray, offer: np.ndarray, channel: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(type_probabilities(self.pop, customer, offer, channel), axis=1)
        u = self.draws[customer, offer + 1, channel][:, None]
        return np.minimum((u >= cumulative).sum(axis=1), len(RESPONSE_TYPES) - 1)

    def boost(self, customer: np.ndarray, offer: np.ndarray, channel: np.ndarray) -> np.ndarray:
        return TYPE_BOOST[self.of(customer, offer, channel)]


@dataclass(frozen=True)
class Holdout:
    """The scheduled sends split into treated contacts and held-out (control) customers."""

    treated: Contacts  # sent, conversions by type
    control_orders: OrderIntents  # orders of held-out sure things and do-not-disturbs
    # every assignment (treated then control), for the table and the truth
    customer: np.ndarray
    campaign: np.ndarray
    assigned_at: np.ndarray
    control: np.ndarray
    response_type: np.ndarray
    order_if_treated: np.ndarray  # time of the campaign's order in each world, NEVER if none
    order_if_control: np.ndarray


def hold_out(
    rng: np.random.Generator, would_send: Contacts, types: ResponseTypes, table: CampaignTable
) -> Holdout:
    """Draw each wave's control group from the sends it would make, and each world's campaign order."""
    control = rng.random(would_send.customer.size) < CONTROL_SHARE
    kind = types.of(would_send.customer, would_send.offer, would_send.channel)
    would_buy = would_send.convert_at < NEVER
    in_treated = would_buy & np.isin(kind, [PERSUADABLE, SURE_THING])
    in_control = would_buy & np.isin(kind, [SURE_THING, DO_NOT_DISTURB])
    order_if_treated = np.where(in_treated, would_send.convert_at, NEVER)
    order_if_control = np.where(in_control, would_send.convert_at, NEVER)
    sent = np.flatnonzero(~control)
    treated = Contacts(*(getattr(would_send, f)[sent] for f in Contacts.__dataclass_fields__))
    treated = replace(
        treated,
        convert_at=order_if_treated[sent],
        order_channel=np.where(in_treated[sent], treated.order_channel, -1),
    )
    held = np.flatnonzero(control & in_control)
    control_orders = OrderIntents.make(
        would_send.customer[held],
        would_send.convert_at[held],
        HELD_OUT,
        channel=would_send.order_channel[held],
    )
    order = np.concatenate([sent, np.flatnonzero(control)])
    return Holdout(
        treated=treated,
        control_orders=control_orders,
        customer=would_send.customer[order],
        campaign=would_send.campaign[order],
        assigned_at=would_send.sent_at[order],
        control=control[order],
        response_type=kind[order],
        order_if_treated=order_if_treated[order],
        order_if_control=order_if_control[order],
    )


def orders_in_windows(
    plan_customer: np.ndarray, plan_t: np.ndarray, customer: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Number of planned orders of ``customer`` in [start, end), per row (guest orders never count)."""
    known = plan_customer >= 0
    shift = np.int64(1) << 33  # epoch seconds fit in 33 bits until 2242
    keys = np.sort(plan_customer[known].astype(np.int64) * shift + plan_t[known])
    base = customer.astype(np.int64) * shift
    return np.searchsorted(keys, base + end) - np.searchsorted(keys, base + start)


def potential_conversions(
    held: Holdout, window_seconds: np.ndarray, plan_customer: np.ndarray, plan_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each assigned customer orders within the campaign's window in the treated and in the
    control world: any other order in the window (the same in both worlds) or the campaign's own."""
    start, end = held.assigned_at, held.assigned_at + window_seconds
    inside_t = (held.order_if_treated >= start) & (held.order_if_treated < end)
    inside_c = (held.order_if_control >= start) & (held.order_if_control < end)
    own = np.where(held.control, inside_c, inside_t)  # the world that happened holds its own order
    others = orders_in_windows(plan_customer, plan_t, held.customer, start, end) - own
    return (others > 0) | inside_t, (others > 0) | inside_c
