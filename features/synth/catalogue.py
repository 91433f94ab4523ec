"""The product catalogue of the fine-food retailer: ~370 SKUs in eight categories plus two fee lines.

Each product carries what the order model needs besides its contract columns: a popularity per
season (festive items surge in November-December, rosé and fruit in summer), a consumption period for
replenishable items, a pairing partner in a complementary category (cheese with wine) and an optional
price change during the period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import columns as c
from features import vocab
from features.synth.profiles import CATEGORIES

# (category, subcategory, count, price low, price high, margin rate, replenishable share,
#  consumption days, base names)
SUBCATEGORIES: tuple[tuple[str, str, int, float, float, float, float, int, tuple[str, ...]], ...] = (
    ("wines", "red", 26, 9, 35, 0.38, 0.3, 30, ("Bordeaux Supérieur", "Saint-Émilion", "Côtes-du-Rhône",
     "Crozes-Hermitage", "Bourgogne Pinot Noir", "Chinon", "Cahors", "Morgon", "Pic Saint-Loup", "Gigondas")),
    ("wines", "white", 18, 9, 30, 0.38, 0.3, 30, ("Chablis", "Sancerre", "Muscadet", "Riesling",
     "Mâcon-Villages", "Pouilly-Fumé", "Jurançon sec", "Vouvray")),
    ("wines", "rose", 10, 8, 22, 0.36, 0.2, 30, ("Côtes de Provence rosé", "Tavel", "Bandol rosé",
     "Luberon rosé")),
    ("wines", "champagne", 12, 25, 70, 0.40, 0.0, 0, ("Champagne brut", "Champagne blanc de blancs",
     "Crémant de Bourgogne", "Champagne rosé")),
    ("wines", "premium", 14, 45, 180, 0.42, 0.0, 0, ("Pauillac", "Margaux", "Pomerol", "Meursault",
     "Hermitage", "Châteauneuf-du-Pape")),
    ("cheese", "soft", 14, 4, 14, 0.32, 1.0, 12, ("Brie de Meaux", "Camembert de Normandie",
     "Coulommiers", "Chaource", "Brillat-Savarin", "Saint-Marcellin", "Reblochon")),
    ("cheese", "hard", 14, 6, 22, 0.30, 1.0, 18, ("Comté 18 mois", "Beaufort", "Tomme de Savoie",
     "Cantal", "Salers", "Ossau-Iraty", "Mimolette")),
    ("cheese", "blue", 8, 5, 18, 0.30, 1.0, 18, ("Roquefort", "Bleu d'Auvergne", "Fourme d'Ambert")),
    ("cheese", "goat", 10, 4, 12, 0.32, 1.0, 12, ("Crottin de Chavignol", "Sainte-Maure", "Valençay",
     "Pélardon", "Rocamadour")),
    ("cheese", "platter", 4, 18, 45, 0.35, 0.0, 0, ("Plateau de fromages",)),
    ("charcuterie", "ham", 10, 6, 25, 0.30, 1.0, 15, ("Jambon de Bayonne", "Jambon de Paris",
     "Jambon noir de Bigorre")),
    ("charcuterie", "dry_sausage", 12, 5, 16, 0.33, 1.0, 21, ("Saucisson sec", "Rosette de Lyon",
     "Chorizo basque", "Saucisse sèche")),
    ("charcuterie", "pates", 10, 4, 14, 0.35, 1.0, 21, ("Pâté en croûte", "Rillettes du Mans",
     "Terrine de campagne")),
    ("charcuterie", "foie_gras", 8, 25, 90, 0.40, 0.0, 0, ("Foie gras de canard entier",
     "Foie gras mi-cuit", "Bloc de foie gras")),
    ("epicerie_fine", "oils_vinegars", 14, 6, 30, 0.45, 1.0, 60, ("Huile d'olive vierge extra",
     "Vinaigre de Banyuls", "Huile de noix", "Vinaigre balsamique")),
    ("epicerie_fine", "condiments", 12, 3, 9, 0.45, 1.0, 45, ("Moutarde de Dijon", "Fleur de sel de Guérande",
     "Piment d'Espelette", "Cornichons")),
    ("epicerie_fine", "preserves_honey", 14, 4, 14, 0.45, 1.0, 40, ("Confiture d'abricot", "Miel de lavande",
     "Pâte à tartiner", "Confiture de figues")),
    ("epicerie_fine", "pasta_pulses", 10, 3, 9, 0.40, 1.0, 30, ("Lentilles vertes du Puy",
     "Pâtes artisanales", "Riz de Camargue")),
    ("epicerie_fine", "conserves", 12, 5, 22, 0.42, 0.7, 45, ("Sardines millésimées", "Rillettes de thon",
     "Soupe de poissons", "Cassoulet")),
    ("epicerie_fine", "truffle", 8, 15, 60, 0.50, 0.0, 0, ("Truffe noire", "Huile truffée", "Sel truffé")),
    ("fruits_legumes", "fruits", 12, 2.5, 9, 0.25, 1.0, 7, ("Pommes", "Poires", "Clémentines", "Abricots",
     "Fraises", "Cerises")),
    ("fruits_legumes", "vegetables", 10, 2, 7, 0.25, 1.0, 7, ("Tomates anciennes", "Asperges",
     "Pommes de terre", "Courgettes")),
    ("fruits_legumes", "baskets", 8, 15, 35, 0.25, 1.0, 14, ("Panier de saison", "Panier primeur")),
    ("gift_boxes", "apero", 8, 35, 70, 0.40, 0.0, 0, ("Coffret apéritif", "Coffret tapas")),
    ("gift_boxes", "prestige", 8, 80, 160, 0.42, 0.0, 0, ("Coffret prestige",
     "Coffret foie gras & sauternes")),
    ("gift_boxes", "terroir", 8, 45, 90, 0.40, 0.0, 0, ("Coffret terroir", "Panier gourmand")),
    ("gift_boxes", "sweet", 6, 30, 60, 0.40, 0.0, 0, ("Coffret chocolats", "Coffret douceurs")),
    ("coffee_tea", "beans", 10, 8, 22, 0.45, 1.0, 28, ("Café en grains Éthiopie", "Café en grains Brésil",
     "Café en grains Colombie")),
    ("coffee_tea", "ground", 8, 6, 15, 0.45, 1.0, 24, ("Café moulu", "Café moulu décaféiné")),
    ("coffee_tea", "tea", 8, 6, 20, 0.50, 1.0, 40, ("Thé vert", "Thé noir", "Thé Earl Grey")),
    ("coffee_tea", "infusions", 4, 4, 10, 0.50, 1.0, 40, ("Infusion verveine", "Infusion tilleul")),
    ("sweets", "chocolates", 14, 6, 35, 0.45, 0.6, 30, ("Tablette de chocolat noir", "Pralinés",
     "Truffes au chocolat", "Orangettes")),
    ("sweets", "biscuits", 10, 3, 9, 0.40, 1.0, 21, ("Sablés bretons", "Madeleines", "Galettes")),
    ("sweets", "confectionery", 10, 6, 25, 0.45, 0.3, 60, ("Calissons d'Aix", "Nougat de Montélimar",
     "Marrons glacés", "Macarons", "Bêtises de Cambrai")),
    ("sweets", "pastries", 6, 8, 25, 0.35, 0.0, 0, ("Pain d'épices", "Kouign-amann")),
)  # fmt: skip
SKU_PREFIX = {
    "wines": "VIN", "cheese": "FRO", "charcuterie": "CHA", "epicerie_fine": "EPI",
    "fruits_legumes": "FRU", "gift_boxes": "CAD", "coffee_tea": "CAF", "sweets": "SUC",
}  # fmt: skip
QUALIFIERS = ("Maison Delorme", "Domaine des Aubiers", "Clos Saint-Martin", "Ferme du Vieux Puits",
              "Les Halles d'Antan", "Atelier Rivière", "Réserve", "Bio", "Tradition",
              "Sélection")  # fmt: skip
# Subcategories whose popularity jumps in November-December, and in June-August.
FESTIVE = ("champagne", "premium", "foie_gras", "platter", "confectionery", "chocolates", "truffle")
SUMMER = ("rose", "fruits", "vegetables", "baskets")
# Categories a product's pairing partner comes from (wine with cheese, coffee with sweets).
PAIRINGS = {
    "wines": ("cheese", "charcuterie"), "cheese": ("wines", "fruits_legumes"),
    "charcuterie": ("wines", "cheese"), "epicerie_fine": ("cheese", "epicerie_fine"),
    "fruits_legumes": ("cheese", "fruits_legumes"), "gift_boxes": ("wines", "sweets"),
    "coffee_tea": ("sweets", "coffee_tea"), "sweets": ("coffee_tea", "sweets"),
}  # fmt: skip
PRIMARY_PAIRING = 0.75  # share of products paired with the first category listed
DELIVERY_FEE_EUR = 6.9
GIFT_WRAP_EUR = 3.9
SEASONS = ("regular", "festive", "summer")


@dataclass(frozen=True)
class ProductSampler:
    """Draws a product of a given category in a given season, proportionally to a weight.

    All (season, category) blocks of cumulative weights sit in one increasing array, so a single
    ``searchsorted`` draws millions of lines whatever their category.
    """

    keys: np.ndarray  # season * n_categories + category + cumulative share within the block
    order: np.ndarray  # product index of each key position within a season
    n_categories: int

    @classmethod
    def build(cls, weights: np.ndarray, category: np.ndarray, n_categories: int) -> ProductSampler:
        order = np.flatnonzero(category >= 0)
        order = order[np.argsort(category[order], kind="stable")]
        cat = category[order]
        keys = []
        for s, row in enumerate(weights):
            w = row[order]
            total = np.bincount(cat, weights=w, minlength=n_categories)
            cum = np.cumsum(w) - (np.cumsum(total) - total)[cat]
            share = np.divide(cum, total[cat], out=np.ones_like(cum), where=total[cat] > 0)
            keys.append(s * n_categories + cat + np.minimum(share, 1.0))
        return cls(keys=np.concatenate(keys), order=order, n_categories=n_categories)

    def draw(self, rng: np.random.Generator, category: np.ndarray, season: np.ndarray) -> np.ndarray:
        query = season * self.n_categories + category + rng.random(category.size) * (1 - 1e-9)
        idx = np.searchsorted(self.keys, query, side="right")
        return self.order[np.minimum(idx, self.keys.size - 1) % self.order.size]


@dataclass(frozen=True)
class Catalogue:
    products: pd.DataFrame  # the contract table
    category: np.ndarray  # index into CATEGORIES; -1 for fees
    price: np.ndarray  # current price
    old_price: np.ndarray  # price before ``price_change_at``
    price_change_at: np.ndarray  # epoch seconds (NEVER-like large value if no change)
    replenishable: np.ndarray
    period_days: np.ndarray  # consumption period of replenishable items
    partner: np.ndarray  # product index of the pairing partner
    popularity: np.ndarray  # (seasons, products), zero for fees
    delivery_fee: int  # product index
    gift_wrap: int
    sampler: ProductSampler  # by seasonal popularity
    replenishable_sampler: ProductSampler  # replenishable items only

    @property
    def replenishable_categories(self) -> np.ndarray:
        """Categories holding at least one replenishable product (bool per category)."""
        return np.bincount(self.category[self.replenishable], minlength=len(CATEGORIES)) > 0

    @property
    def n_products(self) -> int:
        return int(self.price.size)

    def price_at(self, product: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.where(t < self.price_change_at[product], self.old_price[product], self.price[product])


def build_catalogue(rng: np.random.Generator, start: int, end: int) -> Catalogue:
    rows = [(cat, sub, k, *spec) for cat, sub, n, *spec in SUBCATEGORIES for k in range(n)]
    n = len(rows)
    cat_name = np.array([r[0] for r in rows])
    sub_name = np.array([r[1] for r in rows])
    lo, hi, margin_rate, repl_share, period = (
        np.array([r[i] for r in rows], dtype=float) for i in range(3, 8)
    )
    base_names = [r[8][r[2] % len(r[8])] for r in rows]
    qualifier = rng.integers(0, len(QUALIFIERS), n)
    names = pd.Series([f"{b}, {QUALIFIERS[q]}" for b, q in zip(base_names, qualifier, strict=True)])
    repeat = names.groupby(names).cumcount()
    names = names.where(repeat == 0, names + " n°" + (repeat + 1).astype(str)).tolist()

    category = np.array([CATEGORIES.index(x) for x in cat_name])
    # Log-uniform prices within the subcategory range, on the tenth of a euro (12,90 €).
    price = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi))), 1)
    margin = np.round(price * margin_rate * rng.uniform(0.8, 1.2, n), 2)
    changed = rng.random(n) < 0.4
    old_price = np.where(changed, np.round(price / rng.uniform(1.03, 1.12, n), 1), price)
    change_at = np.where(changed, rng.integers(start, end, n), np.iinfo(np.int64).max)
    replenishable = rng.random(n) < repl_share
    popularity = np.tile(rng.lognormal(0.0, 1.0, n), (len(SEASONS), 1))
    popularity[1, np.isin(sub_name, FESTIVE)] *= 4.0
    popularity[2, np.isin(sub_name, SUMMER)] *= 2.0

    partner = np.empty(n, dtype=np.int64)
    for cat in CATEGORIES:  # eight categories, not a loop over rows
        mine = np.flatnonzero(cat_name == cat)
        choices = [np.flatnonzero(cat_name == other) for other in PAIRINGS[cat]]
        pick = (rng.random(mine.size) >= PRIMARY_PAIRING).astype(np.int64)  # 0: the first pairing
        for j, pool in enumerate(choices):
            weights = popularity[0, pool] / popularity[0, pool].sum()
            sel = mine[pick == j]
            partner[sel] = rng.choice(pool, size=sel.size, p=weights)

    counters = pd.Series(cat_name).groupby(cat_name).cumcount().to_numpy() + 1
    skus = [f"{SKU_PREFIX[cat]}-{k:04d}" for cat, k in zip(cat_name, counters, strict=True)]
    fee_price = np.array([DELIVERY_FEE_EUR, GIFT_WRAP_EUR])
    products = pd.DataFrame(
        {
            c.SKU: [*skus, "FEE-DELIVERY", "FEE-GIFTWRAP"],
            c.NAME: [*names, "Frais de livraison", "Emballage cadeau"],
            c.CATEGORY: [*cat_name.tolist(), vocab.NON_PRODUCT_CATEGORY, vocab.NON_PRODUCT_CATEGORY],
            c.SUBCATEGORY: [*sub_name.tolist(), "delivery_fee", "gift_wrap"],
            c.UNIT_PRICE: np.concatenate([price, fee_price]),
            # Delivery costs more than the fee charged; wrapping earns a little.
            c.UNIT_MARGIN: np.concatenate([margin, [-2.4, 1.6]]),
            c.IN_STOCK: np.concatenate([rng.random(n) > 0.06, [True, True]]),
            c.IS_REPLENISHABLE: np.concatenate([replenishable, [False, False]]),
        }
    )
    zeros = np.zeros(2)
    full_category = np.concatenate([category, [-1, -1]])
    full_popularity = np.concatenate([popularity, np.zeros((len(SEASONS), 2))], axis=1)
    full_replenishable = np.concatenate([replenishable, [False, False]])
    return Catalogue(
        products=products,
        category=full_category,
        price=np.concatenate([price, fee_price]),
        old_price=np.concatenate([old_price, fee_price]),
        price_change_at=np.concatenate([change_at, [np.iinfo(np.int64).max] * 2]),
        replenishable=full_replenishable,
        period_days=np.concatenate([period, zeros]),
        partner=np.concatenate([partner, [n, n + 1]]),
        popularity=full_popularity,
        delivery_fee=n,
        gift_wrap=n + 1,
        sampler=ProductSampler.build(full_popularity, full_category, len(CATEGORIES)),
        replenishable_sampler=ProductSampler.build(
            full_popularity[:1] * full_replenishable, full_category, len(CATEGORIES)
        ),
    )


def season_of_month(month: np.ndarray) -> np.ndarray:
    """Row of ``Catalogue.popularity`` in force in each month (0..11)."""
    return np.select([np.isin(month, (10, 11)), np.isin(month, (5, 6, 7))], [1, 2], 0)
