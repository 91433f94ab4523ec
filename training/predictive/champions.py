"""The champions a batch scoring reads (:func:`training.predictive.score.score_customers`: the predictive
targets, the recommender, the offer response and uplift models), loaded once per command: a data set
scored or materialised one customer partition at a time gives every partition the same loaded models
(loading them from the registry takes a few seconds, which each partition repeated)."""

from __future__ import annotations

from dataclasses import dataclass

from features.campaigns.uplift_model import UpliftModel
from features.errors import NoChampionError
from features.offers.response_model import OfferResponseModel
from features.predictive.model import CHURN, NEXT_ORDER, PROPENSITY, VALUE, CustomerScoreModel
from features.recommend.recommender import Recommender
from features.settings import Settings
from training.offers.register import load_offer_champion
from training.predictive.train import load_champion
from training.recommend.train import load_champion as load_recommender
from training.tracking import connect
from training.uplift.train import load_uplift_champion

MODELS: tuple[str, ...] = (CHURN, PROPENSITY, VALUE, NEXT_ORDER)


@dataclass(frozen=True)
class ScoringChampions:
    """Each champion and its registered version; a target or model without a champion is absent (None)."""

    predictive: dict[str, tuple[CustomerScoreModel, str]]  # of MODELS, in their order
    recommender: Recommender | None
    offer_response: OfferResponseModel | None
    uplift: UpliftModel | None  # read with an offer response model only: it ranks offers, nothing else

    @classmethod
    def load(cls, settings: Settings) -> ScoringChampions:
        client = connect(settings)
        predictive = {}
        for name in MODELS:
            loaded = load_champion(client, name)
            if loaded is not None:
                predictive[name] = loaded
        response = load_offer_champion(client)
        uplift = load_uplift_champion(client) if response is not None else None
        return cls(predictive, load_recommender(client), response, uplift)

    def scorers(self) -> dict[str, tuple[CustomerScoreModel, str]]:
        """The predictive champions, at least one (else :class:`NoChampionError`: nothing to score with)."""
        if not self.predictive:
            raise NoChampionError(
                "no predictive model has a champion yet: run `cible train churn` (or `cible train all`) first"
            )
        return self.predictive

    def missing_recommend_models(self) -> list[str]:
        """The recommendation models without a champion (their columns are left empty)."""
        return [
            name
            for name, model in (("recommender", self.recommender), ("offer_response", self.offer_response))
            if model is None
        ]
