"""What an importer hands back: the seven contract tables, conformed, and a report in plain words."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.dataset import conform, empty_frame
from features.schema import CUSTOMERS, ORDERS, PRODUCTS, TABLES


@dataclass(frozen=True)
class ImportResult:
    """The imported data set and what the import did to get there.

    ``tables`` holds all seven contract tables in canonical dtypes (the public data sets have no events,
    contacts or consents: those are empty but valid), ready for ``features.io.write_dataset_frames``.
    ``report`` says, one line each, what was read, kept, merged, dropped and assumed, with counts.
    """

    tables: dict[str, pd.DataFrame]
    report: list[str]


def assemble(
    customers: pd.DataFrame, products: pd.DataFrame, orders: pd.DataFrame, report: list[str]
) -> ImportResult:
    tables = {name: empty_frame(table) for name, table in TABLES.items()}
    tables[CUSTOMERS.name] = conform(CUSTOMERS, customers)
    tables[PRODUCTS.name] = conform(PRODUCTS, products)
    tables[ORDERS.name] = conform(ORDERS, orders)
    return ImportResult(tables=tables, report=report)
