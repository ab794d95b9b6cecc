"""The businesses table: the directory's listings (gql/schema/business.py shows them)."""

from __future__ import annotations

from datetime import datetime

from gql.entities.columns import TIMESTAMP, Column, Table

BUSINESSES = Table("businesses", (
    Column("id", "uuid", "id", form="id"),
    Column("slug", "text", "slug", input="slug", python=str),
    Column("name", "text", "name", input="name", python=str),
    Column("legal_name", "text", input="legalName", python=str, shown=False),  # written, never shown
    Column("description", "text", "description", input="description", python=str, nullable=True),
    Column("short_description", "text", "shortDescription", input="shortDescription", python=str,
           nullable=True),
    Column("status", "text", "status", form="enum"),
    Column("tags", "text[]", "tags", input="tags", python=list[str]),
    Column("phone", "text", "phone", input="phone", python=str, nullable=True),
    Column("email", "text", "email", input="email", python=str, nullable=True),
    Column("website", "text", "website", input="website", python=str, nullable=True),
    # Address
    Column("address_line1", "text", input="addressLine1", python=str),
    Column("address_line2", "text", input="addressLine2", python=str),
    Column("city", "text", input="city", python=str),
    Column("state", "text", input="state", python=str),
    Column("zip_code", "text", input="zip", python=str),
    Column("country", "text", input="country", python=str),
    # location
    Column("latitude", "double precision", input="latitude", python=float),
    Column("longitude", "double precision", input="longitude", python=float),
    Column("service_radius_meters", "integer", "serviceRadiusMeters", input="serviceRadiusMeters", python=int,
           nullable=True, description="The business also serves everything this close to it."),
    Column("timezone", "text", "timezone", input="timezone", python=str,
           description="IANA time zone of the business, e.g. America/Chicago.",
           input_description="IANA zone, e.g. America/Denver."),
    Column("hours", "jsonb", input="hours"),
    Column("special_hours", "jsonb", input="specialHours"),
    # rating, reviewCount, ratingDistribution
    Column("rating_counts", "integer[]"),
    Column("review_count", "integer", "reviewCount", python=int, description="Published reviews."),
    Column("rating_avg", "numeric"),
    # verified and badges; webhooks have carried neither
    Column("verification_status", "text", webhook=False),
    Column("version", "integer", "version", python=int,
           description="Increases with every edit; send it back as expectedVersion when updating."),
    Column("created_at", TIMESTAMP, "createdAt", form="timestamp", python=datetime),
    Column("updated_at", TIMESTAMP, "updatedAt", form="timestamp", python=datetime),
    Column("primary_category_id", "uuid", input="primaryCategoryId"),
    Column("secondary_category_ids", "uuid[]", input="secondaryCategoryIds"),
    Column("owner_id", "uuid"),
    Column("photos", "jsonb", input="photos"),
    Column("logo_url", "text", "logoUrl", input="logoUrl", python=str, nullable=True),
    Column("cover_url", "text", "coverUrl", input="coverUrl", python=str, nullable=True),
    Column("price_level", "smallint", "priceLevel", input="priceLevel", python=int, nullable=True,
           description="1 (inexpensive) to 4 (very expensive).", input_description="1 to 4."),
    Column("attributes", "text[]", input="attributes"),
    Column("social_links", "jsonb", input="socialLinks"),
), computed=("api.is_open_now({a}) as is_open_now",))
