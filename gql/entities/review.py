"""Reviews and the owners' responses to them (gql/schema/review.py shows them)."""

from __future__ import annotations

from datetime import date, datetime

from gql.entities.columns import TIMESTAMP, Column, Table

REVIEWS = Table("business_reviews", (
    Column("id", "uuid", "id", form="id"),
    Column("business_id", "uuid"),
    Column("author_id", "uuid"),
    Column("rating", "smallint", "rating", python=int),
    Column("title", "text", "title", python=str, nullable=True),
    Column("content", "text", "content", python=str),
    Column("status", "text", "status", form="enum"),
    Column("visit_date", "date", "visitDate", python=date, nullable=True),
    Column("helpful_count", "integer", "helpfulCount", python=int),
    Column("not_helpful_count", "integer", "notHelpfulCount", python=int),
    Column("version", "integer", "version", python=int),
    Column("created_at", TIMESTAMP, "createdAt", form="timestamp", python=datetime),
    Column("updated_at", TIMESTAMP, "updatedAt", form="timestamp", python=datetime),
))

RESPONSES = Table("review_responses", (
    Column("id", "uuid", "id", form="id"),
    Column("review_id", "uuid"),
    Column("business_id", "uuid"),
    Column("responder_id", "uuid"),
    Column("content", "text", "content", python=str),
    Column("created_at", TIMESTAMP, "createdAt", form="timestamp", python=datetime),
    Column("updated_at", TIMESTAMP, "updatedAt", form="timestamp", python=datetime),
))
