"""Every table gql/entities describes: what the server holds to the catalog at startup."""

from __future__ import annotations

from gql.entities.business import BUSINESSES
from gql.entities.category import CATEGORIES
from gql.entities.columns import Table
from gql.entities.review import RESPONSES, REVIEWS

TABLES: tuple[Table, ...] = (BUSINESSES, REVIEWS, RESPONSES, CATEGORIES)
