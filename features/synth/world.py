"""One simulated world: the stages run in order over a set of customers, and the tables made of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.dataset import conform
from features.schema import TABLES
from features.synth import assemble, truth
from features.synth.basket import Lines, Returns, build_lines, build_returns
from features.synth.browsing import (
    STRANGER_EVENTS,
    STRANGER_VISITS,
    after_churn_sessions,
    customer_sessions,
    prospect_sessions,
    stranger_sessions,
)
from features.synth.calendar import Calendar
from features.synth.campaigns import (
    CampaignTable,
    Contacts,
    campaign_table,
    scheduled_contacts,
    waves,
    welcome_contacts,
)
from features.synth.carts import browsing_outcomes
from features.synth.catalogue import Catalogue
from features.synth.config import SynthConfig
from features.synth.consents import LedgerRows, build_consents, ledger_rows
from features.synth.id_blocks import IdBlocks
from features.synth.orders import (
    OrderIntents,
    OrderPlan,
    contact_orders,
    finalise,
    guest_intents,
    planned_orders,
)
from features.synth.population import Population, build_population
from features.synth.sessions import Events, Sessions, browse_events
from features.synth.uplift import Holdout, ResponseTypes, hold_out
from features.synth.web import checkout_sessions, intent_sessions, landing_sessions

# Each stage draws from its own stream, so changing one stage leaves the others' draws untouched.
STAGES: tuple[str, ...] = (
    "catalogue",
    "population",
    "consents",
    "campaigns",
    "browsing",
    "orders",
    "baskets",
    "web",
    "assemble",
)


@dataclass
class SynthResult:
    tables: dict[str, pd.DataFrame]  # the seven contract tables, in canonical dtypes
    # hidden truth: customers, sessions, orders, replenishment, response_types, assignments
    truth: dict[str, pd.DataFrame]


@dataclass
class World:
    """The simulated arrays of one set of customers, before ids and strings are made of them."""

    cal: Calendar
    cat: Catalogue
    pop: Population
    ledger: LedgerRows
    table: CampaignTable
    n_scheduled: int
    types: ResponseTypes
    held: Holdout
    contacts: Contacts
    plan: OrderPlan
    lines: Lines
    returns: Returns
    sessions: Sessions
    events: Events
    n_visitors: int  # visitor numbers this world may use: customers, their app installs, strangers

    def counts(self) -> dict[str, int]:
        """How many ids of each kind this world numbers (events: at most, some fall after the end)."""
        return {
            "customer": self.pop.n,
            "order": int(self.plan.intents.t.size),
            "ret": int(self.returns.t.size),
            "contact": int(self.contacts.customer.size),
            "event": int(self.events.t.size),
            "session": self.sessions.n,
            "visitor": self.n_visitors,
        }


Stage = Callable[[str], np.random.Generator]


def stage_streams(
    seed: int, chunk: int | None = None
) -> tuple[dict[str, np.random.Generator], np.random.Generator]:
    """Each stage's generator and the causal truth's. A data set made in one piece draws from the seed's
    own children; chunk ``k`` of a chunked one from its own branch of the seed (spawn key past the
    stages'), so every chunk is reproducible on its own."""
    root = (
        np.random.SeedSequence(seed)
        if chunk is None
        else np.random.SeedSequence(seed, spawn_key=(len(STAGES) + 1, chunk))
    )
    # One stream more than stages, for the causal truth: the stages' own draws stay as they were.
    *streams, uplift_stream = root.spawn(len(STAGES) + 1)
    rngs = {name: np.random.default_rng(s) for name, s in zip(STAGES, streams, strict=True)}
    return rngs, np.random.default_rng(uplift_stream)


def simulate(
    config: SynthConfig, cal: Calendar, cat: Catalogue, stage: Stage, uplift_rng: np.random.Generator
) -> World:
    """Simulate ``config.customers`` customers of the shop selling catalogue ``cat``."""
    rng = stage("population")
    pop = build_population(rng, config, cal, cat)
    rng = stage("consents")
    consents = build_consents(rng, pop, cal.end)
    ledger = ledger_rows(rng, consents)

    rng = stage("campaigns")
    scheduled = waves(cal)
    table = campaign_table(cal, scheduled)
    types = ResponseTypes.draw(uplift_rng, pop)
    would_send = scheduled_contacts(rng, cal, pop, consents, table, scheduled, boost=types.boost)
    held = hold_out(uplift_rng, would_send, types, table)
    sent = [held.treated, welcome_contacts(rng, cal, pop, consents, table)]

    rng = stage("browsing")
    visits = config.anonymous_visits_per_customer_month * pop.n * config.months
    n_strangers = round(visits / (1 + STRANGER_VISITS))
    strangers = stranger_sessions(rng, cal, n_strangers, first_visitor=2 * pop.n)
    guest = rng.random(strangers.n) < config.guest_checkout_rate
    guests = guest_intents(strangers.visitor[guest], strangers.start[guest])
    visitor_device = np.zeros(2 * pop.n + n_strangers, dtype=np.int64)
    visitor_device[strangers.visitor] = strangers.device
    strangers = Sessions(*(getattr(strangers, f)[~guest] for f in Sessions.__dataclass_fields__))
    browse = Sessions.concat(
        [
            customer_sessions(rng, cal, pop),
            after_churn_sessions(rng, cal, pop),
            prospect_sessions(rng, cal, pop),
            strangers,
        ]
    )
    browse_ev = browse_events(rng, cal, cat, pop, browse, np.where(browse.owner >= 0, 4.2, STRANGER_EVENTS))
    triggered, browse_intents = browsing_outcomes(rng, cal, pop, consents, table, browse, browse_ev)
    contacts = Contacts.concat([*sent, triggered])

    rng = stage("orders")
    intents = OrderIntents.concat(
        [planned_orders(rng, cal, pop), contact_orders(contacts), held.control_orders, browse_intents, guests]
    )
    plan = finalise(rng, config, cal, pop, intents)

    rng = stage("baskets")
    lines = build_lines(rng, cal, pop, cat, plan)
    returns = build_returns(rng, cal, pop, cat, plan, lines, config.return_rate)

    rng = stage("web")
    parts = [
        (browse, browse_ev),
        checkout_sessions(rng, pop, cat, plan, lines, contacts, visitor_device),
        intent_sessions(rng, cal, pop, cat, plan, lines),
        landing_sessions(rng, cal, pop, cat, contacts),
    ]
    offsets = np.cumsum([0] + [s.n for s, _ in parts[:-1]])
    sessions = Sessions.concat([s for s, _ in parts])
    events = Events.concat([e.shifted(int(off)) for (_, e), off in zip(parts, offsets, strict=True)])
    return World(
        cal,
        cat,
        pop,
        ledger,
        table,
        len(scheduled),
        types,
        held,
        contacts,
        plan,
        lines,
        returns,
        sessions,
        events,
        n_visitors=visitor_device.size,
    )


def tables_of(world: World, blocks: IdBlocks | None = None) -> SynthResult:
    """The contract and truth tables of ``world``, its ids numbered from ``blocks``."""
    w = world
    pop, plan, cal = w.pop, w.plan, w.cal
    ids = assemble.make_ids(pop, plan, w.table, w.cat, blocks)
    events_frame, logged, sessions_in_id_order = assemble.events_table(
        w.sessions, w.events, pop, ids, cal.end
    )
    web_order = np.isin(plan.intents.channel, (0, 1)) & (plan.intents.customer >= 0)
    has_account = pop.web_account | logged
    has_account[plan.intents.customer[web_order]] = True
    contacts_frame, _ = assemble.contacts_table(w.contacts, plan, ids)
    assignments_frame, assignment_order = assemble.assignments_table(w.held, w.table, ids)
    tables = {
        "customers": assemble.customers_table(pop, ids, has_account),
        "products": conform(TABLES["products"], w.cat.products),
        "orders": assemble.orders_table(plan, w.lines, w.returns, ids),
        "events": events_frame,
        "contacts": contacts_frame,
        "assignments": assignments_frame,
        "consents": assemble.consents_table(w.ledger, ids),
    }
    hidden = {
        "customers": truth.customers_truth(pop, ids),
        "sessions": truth.sessions_truth(w.sessions, sessions_in_id_order, ids),
        "orders": truth.orders_truth(plan, ids),
        "replenishment": truth.replenishment_truth(pop, ids),
        "response_types": truth.response_types_truth(w.types, w.table, np.arange(w.n_scheduled), ids),
        "assignments": truth.assignments_truth(w.held, assignment_order, plan, w.table, ids),
    }
    return SynthResult(tables=tables, truth=hidden)
