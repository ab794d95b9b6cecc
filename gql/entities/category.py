"""The category tree (gql/schema/category.py shows it)."""

from __future__ import annotations

from gql.entities.columns import TIMESTAMP, Column, Table

CATEGORIES = Table("categories", (
    Column("id", "uuid", "id", form="id"),
    Column("parent_id", "uuid"),
    Column("slug", "text", "slug", python=str),
    Column("name", "text", "name", python=str),
    Column("description", "text", "description", python=str, nullable=True),
    Column("icon", "text", "icon", python=str, nullable=True),
    Column("path", "uuid[]", webhook=False),  # ancestors
    Column("level", "integer", "level", python=int, webhook=False,
           description="Depth in the tree; top-level categories are 0."),
    Column("business_count", "integer", "businessCount", python=int, webhook=False,
           description="Listed businesses in this category or any of its sub-categories."),
    # Webhooks have carried these two, which no field shows.
    Column("sort_order", "integer"),
    Column("active", "boolean"),
    Column("created_at", TIMESTAMP),
    Column("updated_at", TIMESTAMP),
))
