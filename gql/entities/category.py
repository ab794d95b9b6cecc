"""The category tree (gql/schema/category.py shows it)."""

from __future__ import annotations

from gql.entities.columns import Column, Table

TIMESTAMP = "timestamp with time zone"

CATEGORIES = Table("categories", (
    Column("id", "uuid", "id", form="id"),
    Column("parent_id", "uuid"),
    Column("slug", "text", "slug"),
    Column("name", "text", "name"),
    Column("description", "text", "description"),
    Column("icon", "text", "icon"),
    Column("path", "uuid[]", webhook=False),  # ancestors
    Column("level", "integer", "level", webhook=False),
    Column("business_count", "integer", "businessCount", webhook=False),
    # Webhooks have carried these two, which no field shows.
    Column("sort_order", "integer"),
    Column("active", "boolean"),
    Column("created_at", TIMESTAMP),
    Column("updated_at", TIMESTAMP),
))
