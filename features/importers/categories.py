"""Product categories from product names, by an ordered keyword rule.

The Online Retail file has descriptions but no categories, and category features (preferences, next
best product) need some. A transparent rule beats a clustering nobody can explain: each category lists
keywords; a name belongs to the first category with a keyword in it (so a Christmas candle is
``christmas``, a lunch bag is ``bags``), and its subcategory is the keyword found. Keywords match whole
words, case-insensitively, with an optional plural "S" (``BAG`` matches "BAGS", not "BAGUETTE").
Names matching nothing fall in ``other`` with no subcategory.
"""

from __future__ import annotations

import re

import pandas as pd

OTHER_CATEGORY = "other"

CATEGORY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "christmas",
        ("CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "SNOWMAN", "NATIVITY", "BAUBLE"),
    ),
    ("bags", ("BAG", "HANDBAG", "BACKPACK", "RUCKSACK", "PURSE", "SHOPPER", "TOTE", "WASHBAG")),
    (
        "candles_lights",
        (
            "CANDLE",
            "CANDLEHOLDER",
            "T-LIGHT",
            "TEALIGHT",
            "NIGHTLIGHT",
            "LANTERN",
            "LIGHT",
            "LAMP",
            "LAMPSHADE",
            "CANDLESTICK",
            "INCENSE",
            "OIL BURNER",
        ),
    ),
    (
        "kitchen_dining",
        (
            "MUG",
            "CUP",
            "SAUCER",
            "TEACUP",
            "TEAPOT",
            "TEA TOWEL",
            "PLATE",
            "BOWL",
            "FRUITBOWL",
            "DISH",
            "CUTLERY",
            "SPOON",
            "NAPKIN",
            "PLACEMAT",
            "COASTER",
            "TRAY",
            "APRON",
            "OVEN GLOVE",
            "OVEN MITT",
            "FRYING PAN",
            "TEA COSY",
            "TEA CADDY",
            "TOASTRACK",
            "TABLE CLOTH",
            "BAKING",
            "CAKE CASES",
            "CAKE STAND",
            "CAKESTAND",
            "CAKE TIN",
            "LUNCH BOX",
            "JAM",
            "JUG",
            "BEAKER",
            "TUMBLER",
            "GLASSES",
            "BOTTLE",
            "STRAW",
            "DOILY",
            "DOILIES",
            "KITCHEN",
            "PANTRY",
            "RECIPE",
            "PICNIC",
            "CHOPSTICKS",
            "BREAD BIN",
        ),
    ),
    (
        "jewellery_accessories",
        (
            "NECKLACE",
            "NECKL",
            "NECKLAC",
            "BRACLET",
            "EARRING",
            "BRACELET",
            "BANGLE",
            "RING",
            "CHARM",
            "PENDANT",
            "BROOCH",
            "HAIR",
            "HAIRCLIP",
            "HAIRBAND",
            "DIAMANTE",
            "BEAD",
            "JEWELLERY",
            "UMBRELLA",
            "PARASOL",
            "SCARF",
            "WALLET",
            "KEYRING",
            "KEY FOB",
            "HAND WARMER",
            "GLOVES",
            "SUNGLASSES",
        ),
    ),
    (
        "toys_games",
        (
            "TOY",
            "GAME",
            "JIGSAW",
            "PUZZLE",
            "DOLL",
            "DOLLY",
            "TEDDY",
            "BALLOON",
            "BALL",
            "SKIPPING ROPE",
            "PLAYING CARDS",
            "DOMINOES",
            "MARBLES",
            "KITE",
            "SOLDIER",
            "SPINNING TOP",
            "BINGO",
            "MAGIC",
            "BUBBLES",
            "WINDMILL",
            "HELICOPTER",
            "CRAYONS",
            "COLOURING",
            "FELTCRAFT",
            "KIT",
        ),
    ),
    (
        "stationery_wrap",
        (
            "CARD",
            "NOTEBOOK",
            "NOTEPAD",
            "NOTE",
            "SKETCHBOOK",
            "STATIONERY",
            "MEMO BOARD",
            "CHALKBOARD",
            "PAPERWEIGHT",
            "POSTCARD",
            "BADGE",
            "JOURNAL",
            "DIARY",
            "CALENDAR",
            "BOOK",
            "PEN",
            "PENCIL",
            "ERASER",
            "RUBBER",
            "RULER",
            "SHARPENER",
            "STAMP",
            "STICKER",
            "LABEL",
            "TAG",
            "ENVELOPE",
            "WRAP",
            "WRAPPING",
            "PAPER",
            "TISSUE",
            "TAPE",
            "RIBBON",
            "INVITES",
        ),
    ),
    (
        "garden",
        (
            "GARDEN",
            "PLANT",
            "PLANTER",
            "POT",
            "WATERING CAN",
            "BIRD FEEDER",
            "BIRDHOUSE",
            "BIRD HOUSE",
            "BIRD TABLE",
            "FEEDER",
            "SEED",
            "TROWEL",
            "GNOME",
            "GREENHOUSE",
        ),
    ),
    (
        "storage",
        (
            "STORAGE",
            "BOX",
            "BOXES",
            "BASKET",
            "DRAWER",
            "CABINET",
            "CHEST",
            "TIN",
            "JAR",
            "CRATE",
            "HAMPER",
            "TRUNK",
            "BIN",
            "RACK",
            "SHELF",
            "HOOK",
            "HANGER",
            "PEG",
        ),
    ),
    (
        "home_decor",
        (
            "DECORATION",
            "ORNAMENT",
            "SIGN",
            "PLAQUE",
            "FRAME",
            "MIRROR",
            "CLOCK",
            "CUSHION",
            "THROW",
            "QUILT",
            "BLANKET",
            "HOT WATER BOTTLE",
            "DOORMAT",
            "DOORSTOP",
            "DOOR",
            "KNOB",
            "GARLAND",
            "BUNTING",
            "WREATH",
            "VASE",
            "TILE",
            "PICTURE",
            "PHOTO",
            "CHANDELIER",
            "WALL",
            "HANGING",
            "MAGNET",
            "CURTAIN",
            "TOWEL",
            "ARTIFICIAL FLOWER",
            "LETTERS",
            "HEART",
        ),
    ),
)


def _category_pattern(keywords: tuple[str, ...]) -> str:
    # Longest first, so "CAKE STAND" is reported rather than a shorter keyword found at the same place.
    alternatives = "|".join(re.escape(kw) for kw in sorted(keywords, key=len, reverse=True))
    return rf"(?<![A-Z0-9])({alternatives})S?(?![A-Z0-9])"


def categorise(names: pd.Series) -> pd.DataFrame:
    """Category and subcategory (the keyword found, lower case; empty for ``other``) of each name."""
    unique = pd.Series(names.dropna().unique(), dtype="str")
    upper = unique.str.upper()
    category = pd.Series(OTHER_CATEGORY, index=unique.index, dtype="str")
    subcategory = pd.Series(pd.NA, index=unique.index, dtype="str")
    pending = pd.Series(True, index=unique.index)
    for name, keywords in CATEGORY_RULES:
        found = upper[pending].str.extract(_category_pattern(keywords), expand=False).dropna()
        category[found.index] = name
        subcategory[found.index] = found.str.lower()
        pending[found.index] = False
    lookup = pd.DataFrame(
        {"category": category.to_numpy(), "subcategory": subcategory.to_numpy()}, index=unique
    )
    out = lookup.reindex(names.to_numpy())
    out["category"] = out["category"].fillna(OTHER_CATEGORY)
    return out.set_axis(names.index)
