"""Every table gql/entities describes: what the server holds to the catalog at startup."""

from __future__ import annotations

from gql.entities.business import BUSINESSES
from gql.entities.columns import Table

TABLES: tuple[Table, ...] = (BUSINESSES,)
