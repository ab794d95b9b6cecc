"""Reviews and the owners' responses to them (gql/schema/review.py shows them)."""

from __future__ import annotations

from gql.entities.columns import Column, Table

TIMESTAMP = "timestamp with time zone"

REVIEWS = Table("business_reviews", (
    Column("id", "uuid", "id", form="id"),
    Column("business_id", "uuid"),
    Column("author_id", "uuid"),
    Column("rating", "smallint", "rating"),
    Column("title", "text", "title"),
    Column("content", "text", "content"),
    Column("status", "text", "status", form="enum"),
    Column("visit_date", "date", "visitDate"),
    Column("helpful_count", "integer", "helpfulCount"),
    Column("not_helpful_count", "integer", "notHelpfulCount"),
    Column("version", "integer", "version"),
    Column("created_at", TIMESTAMP, "createdAt", form="timestamp"),
    Column("updated_at", TIMESTAMP, "updatedAt", form="timestamp"),
))

RESPONSES = Table("review_responses", (
    Column("id", "uuid", "id", form="id"),
    Column("review_id", "uuid"),
    Column("business_id", "uuid"),
    Column("responder_id", "uuid"),
    Column("content", "text", "content"),
    Column("created_at", TIMESTAMP, "createdAt", form="timestamp"),
    Column("updated_at", TIMESTAMP, "updatedAt", form="timestamp"),
))
