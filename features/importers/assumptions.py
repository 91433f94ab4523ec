"""What the public data sets do not say, and the importers assume, as named constants.

Each value is reported by the import that uses it, so nobody mistakes an assumption for data.
"""

from __future__ import annotations

# Neither data set has costs. A fixed share of the price keeps margin-based features (customer margin,
# margin-aware recommendations) usable and ranked like revenue; 35% is a plausible gross margin for a
# gift retailer or a music shop, not a measured one.
ASSUMED_MARGIN_SHARE = 0.35

# Both shops sold at a distance (a web shop, CDNOW's web and mail orders): every order and every
# customer's acquisition is put on the web channel, and every known customer has a web account.
IMPORT_CHANNEL = "web"
