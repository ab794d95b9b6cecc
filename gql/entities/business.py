"""The businesses table: the directory's listings (gql/schema/business.py shows them)."""

from __future__ import annotations

from gql.entities.columns import Column, Table

BUSINESSES = Table("businesses", (
    Column("id", "uuid", "id", form="id"),
    Column("slug", "text", "slug", input="slug"),
    Column("name", "text", "name", input="name"),
    Column("legal_name", "text", input="legalName", shown=False),  # written, never shown
    Column("description", "text", "description", input="description"),
    Column("short_description", "text", "shortDescription", input="shortDescription"),
    Column("status", "text", "status", form="enum"),
    Column("tags", "text[]", "tags", input="tags"),
    Column("phone", "text", "phone", input="phone"),
    Column("email", "text", "email", input="email"),
    Column("website", "text", "website", input="website"),
    # Address
    Column("address_line1", "text", input="addressLine1"),
    Column("address_line2", "text", input="addressLine2"),
    Column("city", "text", input="city"),
    Column("state", "text", input="state"),
    Column("zip_code", "text", input="zip"),
    Column("country", "text", input="country"),
    # location
    Column("latitude", "double precision", input="latitude"),
    Column("longitude", "double precision", input="longitude"),
    Column("service_radius_meters", "integer", "serviceRadiusMeters", input="serviceRadiusMeters"),
    Column("timezone", "text", "timezone", input="timezone"),
    Column("hours", "jsonb", input="hours"),
    Column("special_hours", "jsonb", input="specialHours"),
    # rating, reviewCount, ratingDistribution
    Column("rating_counts", "integer[]"),
    Column("review_count", "integer", "reviewCount"),
    Column("rating_avg", "numeric"),
    # verified and badges; webhooks have carried neither
    Column("verification_status", "text", webhook=False),
    Column("version", "integer", "version"),
    Column("created_at", "timestamp with time zone", "createdAt", form="timestamp"),
    Column("updated_at", "timestamp with time zone", "updatedAt", form="timestamp"),
    Column("primary_category_id", "uuid", input="primaryCategoryId"),
    Column("secondary_category_ids", "uuid[]", input="secondaryCategoryIds"),
    Column("owner_id", "uuid"),
    Column("photos", "jsonb", input="photos"),
    Column("logo_url", "text", "logoUrl", input="logoUrl"),
    Column("cover_url", "text", "coverUrl", input="coverUrl"),
    Column("price_level", "smallint", "priceLevel", input="priceLevel"),
    Column("attributes", "text[]", input="attributes"),
    Column("social_links", "jsonb", input="socialLinks"),
), computed=("api.is_open_now({a}) as is_open_now",))
