"""Run the stages in order and write the result: the public entry points of the generator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.dataset import conform
from features.io import write_dataset_frames, write_tables
from features.schema import TABLES
from features.synth import assemble, truth
from features.synth.basket import build_lines, build_returns
from features.synth.browsing import (
    STRANGER_EVENTS,
    STRANGER_VISITS,
    after_churn_sessions,
    customer_sessions,
    prospect_sessions,
    stranger_sessions,
)
from features.synth.calendar import Calendar
from features.synth.campaigns import Contacts, campaign_table, scheduled_contacts, waves, welcome_contacts
from features.synth.carts import browsing_outcomes
from features.synth.catalogue import build_catalogue
from features.synth.config import SynthConfig
from features.synth.consents import build_consents, ledger_rows
from features.synth.orders import OrderIntents, contact_orders, finalise, guest_intents, planned_orders
from features.synth.population import build_population
from features.synth.sessions import Events, Sessions, browse_events
from features.synth.uplift import ResponseTypes, hold_out
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


def generate(config: SynthConfig, progress: Callable[[str], None] | None = None) -> SynthResult:
    """Simulate the retailer over ``config.months`` months ending at ``config.end``."""
    # One stream more than stages, for the causal truth: the stages' own draws stay as they were.
    *streams, uplift_stream = np.random.SeedSequence(config.seed).spawn(len(STAGES) + 1)
    rngs = {name: np.random.default_rng(s) for name, s in zip(STAGES, streams, strict=True)}
    uplift_rng = np.random.default_rng(uplift_stream)

    def stage(name: str) -> np.random.Generator:
        if progress is not None:
            progress(name)
        return rngs[name]

    cal = Calendar.from_config(config)
    rng = stage("catalogue")
    cat = build_catalogue(rng, cal.start, cal.end)
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
    del parts, browse, browse_ev  # the largest arrays: free them before the tables are built

    stage("assemble")
    ids = assemble.make_ids(pop, plan, table, cat)
    events_frame, logged, sessions_in_id_order = assemble.events_table(sessions, events, pop, ids, cal.end)
    del events
    web_order = np.isin(plan.intents.channel, (0, 1)) & (plan.intents.customer >= 0)
    has_account = pop.web_account | logged
    has_account[plan.intents.customer[web_order]] = True
    contacts_frame, _ = assemble.contacts_table(contacts, plan, ids)
    assignments_frame, assignment_order = assemble.assignments_table(held, table, ids)
    tables = {
        "customers": assemble.customers_table(pop, ids, has_account),
        "products": conform(TABLES["products"], cat.products),
        "orders": assemble.orders_table(plan, lines, returns, ids),
        "events": events_frame,
        "contacts": contacts_frame,
        "assignments": assignments_frame,
        "consents": assemble.consents_table(ledger, ids),
    }
    hidden = {
        "customers": truth.customers_truth(pop, ids),
        "sessions": truth.sessions_truth(sessions, sessions_in_id_order, ids),
        "orders": truth.orders_truth(plan, ids),
        "replenishment": truth.replenishment_truth(pop, ids),
        "response_types": truth.response_types_truth(types, table, np.arange(len(scheduled)), ids),
        "assignments": truth.assignments_truth(held, assignment_order, plan, table, ids),
    }
    return SynthResult(tables=tables, truth=hidden)


def write_synthetic(
    config: SynthConfig, out: Path, fmt: str = "parquet", progress: Callable[[str], None] | None = None
) -> SynthResult:
    """Generate and write the seven tables to ``out`` and the truth to ``out/truth`` (parquet)."""
    result = generate(config, progress)
    if progress is not None:
        progress("write")
    out = Path(out)
    write_dataset_frames(result.tables, out, fmt)
    write_tables(result.truth, out / "truth", "parquet")
    return result
