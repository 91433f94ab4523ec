"""Importers of public data sets into Cible's data contract (customers, products, orders, ...).

Each importer reads one raw file and returns an :class:`ImportResult`: the seven contract tables in
canonical dtypes (events, contacts and consents empty: the data sets have none) and a report, one
plain-words line per decision, with counts. The CLI writes the tables with
``features.io.write_dataset_frames``; they pass ``features.validate.validate_frames``. A file in the
wrong format raises :class:`ImportFormatError` (a ``ValueError``) naming the file and what is missing.

UCI Online Retail (``import_online_retail``), a UK online gift shop's invoice lines:
- ``InvoiceNo`` becomes ``order_id``, ``StockCode`` the ``sku``, both read as text. ``CustomerID`` is the
  ``customer_id`` as text ("17850", not "17850.0"); lines without one become guest orders (empty
  ``customer_id``). A lower-case code whose upper-case twin is in the file is that twin ("85123a").
- Cancellations (``InvoiceNo`` starting with "C") are returns: their own order ("C536379") whose lines
  have negative quantities.
- Lines with a negative unit price (bad-debt adjustments) or a zero one (free samples, stock
  write-offs: not sales) are dropped.
- Non-product codes (postage POST/DOT/C2, fees BANK CHARGES/AMAZONFEE/CRUK, manual M, discount D,
  samples S, bad debt B, PADS, gift vouchers gift_0001_*; any code that is neither numeric nor DCGS)
  are kept, as products of category ``non_product``, so order totals stay true to the file.
- Repeated (invoice, code) lines are merged into one (quantities summed, quantity-weighted price),
  since (order_id, sku) is the key of orders; a merged line whose quantities sum to 0 is dropped.
- Every line of an invoice takes the invoice's customer and first timestamp (a few invoices straddle
  a minute). Channel "web", discount 0, no campaign.
- Customers: one per ``CustomerID``; ``created_at`` = first invoice; ``region`` = most frequent
  ``Country`` (countries stand for regions); acquisition channel "web", web account yes; postcode,
  birth year, gender and loyalty card unknown (empty).
- Products: one per code; name = most frequent description; unit price = median price paid;
  in stock = sold in the file's last 90 days; category and subcategory by the keyword rule of
  ``categories.py``; replenishable when at least 25% of at least 10 known buyers bought it on two or
  more invoices; unit margin assumed at 35% of the price (0 for non-products, which are never
  replenishable).

CDNOW (``import_cdnow``), every purchase of a 1997 cohort of 23,570 customers:
- Rows of one customer on one day are one order (CDs and dollars summed, the BTYD convention), with
  ``order_id`` "<customer>-<yyyymmdd>", ordered at midnight of the day.
- Each order is one line of the single product "CD" (category "music", replenishable, in stock,
  price = median paid price per CD, margin assumed at 35%): quantity = CDs, unit price = dollars / CDs.
- Rows with a negative value are dropped; a day with zero CDs cannot form a line and is dropped; a
  zero-dollar order is kept at unit price 0.
- Customers keep their leading zeros ("00001"); created at their first purchase; region "United
  States"; acquisition channel "web", web account yes.
"""

from __future__ import annotations

from features.importers.cdnow import import_cdnow, read_cdnow
from features.importers.errors import ImportFormatError
from features.importers.online_retail import import_online_retail, read_online_retail
from features.importers.result import ImportResult

__all__ = [
    "ImportFormatError",
    "ImportResult",
    "import_cdnow",
    "import_online_retail",
    "read_cdnow",
    "read_online_retail",
]
