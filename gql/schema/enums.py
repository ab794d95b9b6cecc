"""Enumerations shared by several types."""

from __future__ import annotations

from enum import Enum

import strawberry

from gql.arguments.weekdays import Weekday as Weekday  # (below gql/compiled, which lists the days too)


@strawberry.enum(description="Orders of the business listing.")
class BusinessOrder(Enum):
    NAME = "NAME"
    RATING = strawberry.enum_value("RATING", description="Best rated first; ties by review count.")
    REVIEW_COUNT = strawberry.enum_value("REVIEW_COUNT", description="Most reviewed first.")
    NEWEST = strawberry.enum_value("NEWEST", description="Most recently added first.")


@strawberry.enum(description="Orders of a business's reviews.")
class ReviewOrder(Enum):
    NEWEST = "NEWEST"
    OLDEST = "OLDEST"
    HIGHEST_RATING = "HIGHEST_RATING"
    LOWEST_RATING = "LOWEST_RATING"
    MOST_HELPFUL = "MOST_HELPFUL"


@strawberry.enum
class BusinessStatus(Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"


@strawberry.enum
class ReviewStatus(Enum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"

