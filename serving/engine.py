"""What the service does per request, without the web framework: numpy, dicts and the online store only.

Kept apart from :mod:`serving.service` so the logic is tested directly and the BentoML class stays wiring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from features.consent_gate import PROFILING, refused_purpose
from features.errors import CibleError
from features.intent.realtime import intent_vector
from features.online_store.base import REPORTED_CONTACTS, OnlineStore, Record
from features.online_store.history import purchases_from
from features.recommend.catalogue import Catalogue
from features.recommend.history import Purchases
from features.recommend.recommender import Recommender
from features.retarget.config import RetargetConfig
from features.retarget.realtime import follow_up
from serving import schemas as s
from serving.champions import Champions
from serving.follow_up import follow_up_items, recommended_skus
from serving.session import as_datetime, read_session

DAY = timedelta(days=1)
NO_OFFER = "no_offer"
RECENT_EVENTS = 100


class Unavailable(RuntimeError):
    """A model the endpoint needs has no live champion (503)."""


class NotFoundError(CibleError, LookupError):
    pass


@dataclass(frozen=True)
class _One:
    """A history holding one customer, for :meth:`Recommender.with_history` at request time."""

    customer_id: str | None
    purchases: Purchases | None

    def of(self, customer_id: str | None) -> Purchases | None:
        return self.purchases if customer_id == self.customer_id else None


@dataclass(frozen=True)
class Visit:
    """What the service knows of a visitor or customer at request time."""

    customer_id: str | None
    visitor_id: str | None
    record: Record | None
    personal: bool  # a profile may be used: known customer who granted profiling
    events: list[dict[str, Any]]  # newest first
    ages: list[float]  # days since each event

    @property
    def consent(self) -> dict[str, bool]:
        return dict((self.record or {}).get("consent") or {})

    @property
    def age_days(self) -> float:
        """Days between the record's materialisation and now."""
        return float((self.record or {}).get("age_days", 0.0))


class Engine:
    def __init__(
        self,
        champions: Champions,
        store: OnlineStore,
        retarget: RetargetConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self.champions = champions
        self.store = store
        self.retarget = retarget
        self.clock = clock

    # -- who is asking ---------------------------------------------------------------------------------
    def visit(self, customer_id: str | None, visitor_id: str | None, inline: Sequence[s.Event] = ()) -> Visit:
        now = self.clock()
        record = self.store.get(customer_id) if customer_id else None
        if record is not None:
            as_of = record.get("as_of")
            record = dict(record, age_days=(now - as_datetime(as_of)) / DAY if as_of else 0.0)
        consent = (record or {}).get("consent") or {}
        personal = record is not None and record.get("history") is not None and bool(consent.get(PROFILING))
        # a customer who refused profiling is served as a visitor: only this visitor's own session counts
        events = self.store.recent_events(visitor_id, customer_id if personal else None, RECENT_EVENTS)
        events = [e.model_dump(mode="json") for e in inline] + events
        # each time parsed once (up to 100 events per request): newest first, none after now
        timed = [(as_datetime(e["occurred_at"]), e) for e in events]
        timed.sort(key=lambda pair: pair[0], reverse=True)
        timed = [(t, e) for t, e in timed if t <= now]
        ages = [(now - t) / DAY for t, _ in timed]
        return Visit(customer_id, visitor_id, record, personal, [e for _, e in timed], ages)

    def _recommender(self) -> tuple[Recommender, str]:
        live = self.champions.model("recommender")
        if live is None:
            raise Unavailable("no recommender champion is live: run `cible train nbo`")
        return live.model, live.version

    # -- recommendations -------------------------------------------------------------------------------
    def recommend(
        self,
        visit: Visit,
        k: int,
        context: s.Context | None = None,
        exclude: Sequence[str] = (),
    ) -> tuple[list[s.Item], str]:
        model, version = self._recommender()
        since = as_datetime(visit.record["as_of"]) if visit.record and visit.record.get("as_of") else None
        session = read_session(visit.events, since)
        context_skus = _context(context, session.cart, session.viewed)
        purchases = None
        if visit.personal and visit.record is not None:
            purchases = purchases_from(
                visit.record["history"], model.catalogue_, visit.age_days, visit.events, visit.ages
            )
        bound = model.with_history(_One(visit.customer_id, purchases))
        recs = bound.recommend(
            visit.customer_id, context_skus, k=k, exclude=[*exclude, *session.bought], personal=visit.personal
        )
        # the recommender's own str/float fields: built without re-validation (~30 µs a request)
        items = [s.Item(sku=r.sku, score=round(r.score, 6), source=r.source, reason=r.reason) for r in recs]
        return items, version

    def related(self, sku: str, k: int, together: bool) -> tuple[list[s.Item], str]:
        model, version = self._recommender()
        pairs = model.bought_together(sku, k) if together else model.similar_items(sku, k)
        source = "bought_together" if together else "similar"
        why = "often in the same order" if together else "bought by the same customers"
        return [s.Item(sku=x, score=round(v, 6), source=source, reason=why) for x, v in pairs], version

    @staticmethod
    def offer(visit: Visit) -> s.Offer | None:
        scores = (visit.record or {}).get("scores") or {}
        offer_id = scores.get("next_best_offer")
        if not visit.personal or not offer_id or offer_id == NO_OFFER:
            return None
        return s.Offer(
            offer_id=str(offer_id),
            channel=scores.get("offer_channel"),
            expected_value=scores.get("offer_expected_value"),
        )

    # -- retargeting -----------------------------------------------------------------------------------
    def retarget_score(self, visit: Visit, k: int, explain: bool = False) -> s.RetargetingScore:
        live = self.champions.model("intent")
        if live is None:
            raise Unavailable("no intent champion is live: run `cible train intent`")
        now = self.clock()
        customer = _customer_inputs(visit) if visit.personal else None
        vector = intent_vector(visit.events, now, customer)
        probability = float(live.model.score_one(vector))
        # TreeSHAP costs more than the rest of the answer: an ad bid does not read reasons, a person does
        reasons = live.model.reasons_one(vector, 3) if explain else []
        contacts = _contacts_within(visit.record, now, self.retarget.pressure.days)
        model = self._recommender()[0]
        session = read_session(visit.events, None)  # bought at any time: out of the cart, not shown
        value = _cart_value(visit, session.cart, model.catalogue_)
        decision = follow_up(probability, visit.consent, contacts, value, now, self.retarget)
        items = follow_up_items(model, visit, session, k)
        return s.RetargetingScore(
            customer_id=visit.customer_id,
            visitor_id=visit.visitor_id,
            intent_probability=round(probability, 6),
            reasons=list(reasons),
            follow_up=s.FollowUp(
                allowed=decision.allowed,
                reason=decision.detail or decision.reason,
                channel=decision.channel,
                send_at=decision.send_at,
            ),
            items=items,
            next_best_offer=self.offer(visit) if decision.allowed else None,
            model_version=live.version,
        )

    # -- CRM -------------------------------------------------------------------------------------------
    def profile(self, customer_id: str) -> s.CustomerProfile:
        record = self.store.get(customer_id)
        if record is None:
            raise NotFoundError(f"no customer {customer_id!r} in the online store")
        consent = {k: bool(v) for k, v in (record.get("consent") or {}).items()}
        profiled = (
            not refused_purpose(consent, None, needs_profiling=True) and record.get("scores") is not None
        )
        scores = dict(record.get("scores") or {}) if profiled else {}
        segments = {k: scores.pop(k, None) for k in SEGMENT_FIELDS if k in scores}
        reasons = scores.pop("reasons", None) or []
        top_items = recommended_skus(scores)
        scores.pop("top_items", None)
        visit = Visit(customer_id, None, record, profiled, [], [])
        return s.CustomerProfile(
            customer_id=customer_id,
            as_of=record.get("as_of"),
            profiled=profiled,
            consent=consent,
            segments=segments,
            scores={k: v for k, v in scores.items() if isinstance(v, str | int | float) or v is None},
            risk_band=scores.get("churn_risk_band"),
            reasons=[str(r) for r in reasons] if isinstance(reasons, list) else [str(reasons)],
            next_best_offer=self.offer(visit),
            top_items=top_items,
        )


SEGMENT_FIELDS = ("rfm_segment", "cluster_name", "value_tier", "r_score", "f_score", "m_score")


def _context(context: s.Context | None, cart: list[str], viewed: list[str]) -> list[str]:
    skus: list[str] = []
    if context is not None:
        skus += ([context.viewing] if context.viewing else []) + list(context.cart)
    for sku in [*cart, *viewed]:
        if sku not in skus:
            skus.append(sku)
    return skus


def _customer_inputs(visit: Visit) -> dict[str, float] | None:
    features = (visit.record or {}).get("features")
    if not features:
        return None
    # numbers and flags (bool is an int) as floats, in one pass over the record's ~100 features
    out = {k: float(v) for k, v in features.items() if isinstance(v, (int, float))}
    for aged in ("days_since_last_order", "tenure_days"):  # the record was built age_days ago
        if aged in out:
            out[aged] += visit.age_days
    return out


def _contacts_within(record: Record | None, now: datetime, days: int) -> int:
    sent = [
        *((record or {}).get("recent_contacts") or []),
        *((record or {}).get(REPORTED_CONTACTS) or {}).values(),
    ]
    return sum(1 for t in sent if now - as_datetime(t) < timedelta(days=days))


def _cart_value(visit: Visit, cart: list[str], catalogue: Catalogue) -> float | None:
    """The order at stake: the cart's list price, else the customer's usual basket, else unknown."""
    if cart:
        idx = catalogue.positions(cart)
        return float(catalogue.price[idx[idx >= 0]].sum()) or None
    features = (visit.record or {}).get("features") or {}
    value = features.get("avg_order_value")
    return float(value) if isinstance(value, int | float) and value > 0 else None
