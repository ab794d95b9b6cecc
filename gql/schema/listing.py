"""What a listing shows besides its facts: photos, logo and cover, price level, attributes,
social links and badges (migration 0022), and the input that edits them, checked here so that
a bad value is refused naming its field."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET

from gql.edge.http_urls import http_url_problem
from gql.resolvers.inputs import invalid

MAX_PHOTOS = 20
MAX_CAPTION = 200


@strawberry.enum(description="Facts a customer chooses a place on.")
class BusinessAttribute(Enum):
    WHEELCHAIR_ACCESSIBLE = "wheelchair_accessible"
    OUTDOOR_SEATING = "outdoor_seating"
    DELIVERY = "delivery"
    TAKEOUT = "takeout"
    PARKING = "parking"
    WIFI = "wifi"
    RESERVATIONS = "reservations"
    GOOD_FOR_KIDS = "good_for_kids"
    PETS_ALLOWED = "pets_allowed"
    ACCEPTS_CARDS = "accepts_cards"


@strawberry.enum
class SocialPlatform(Enum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"


@strawberry.enum
class BusinessBadge(Enum):
    CLAIMED = strawberry.enum_value("claimed", description="Someone runs this listing (it has an owner).")
    VERIFIED = strawberry.enum_value("verified", description="The directory checked the business is real.")


@strawberry.type
class Photo:
    url: str
    caption: str | None
    primary: bool = strawberry.field(description="The one to show first; exactly one when there are photos.")


@strawberry.type
class SocialLink:
    platform: SocialPlatform
    url: str


@strawberry.input
class PhotoInput:
    url: str
    caption: str | None = None
    primary: bool = strawberry.field(default=False, description="At most one; the first photo when none is.")


@strawberry.input
class SocialLinkInput:
    platform: SocialPlatform
    url: str


def checked_url(value: Any, field: str) -> Any:
    if value is None or value is UNSET:
        return value
    url = value.strip()
    problem = http_url_problem(url)
    if problem:
        raise invalid(field, f"{field} {problem}")
    return url


def photos_column(photos: Any) -> Any:
    """The photos as stored: in order, the primary marked (the first when none was)."""
    if photos is UNSET or photos is None:
        return photos
    if len(photos) > MAX_PHOTOS:
        raise invalid("photos", f"at most {MAX_PHOTOS} photos")
    if sum(p.primary for p in photos) > 1:
        raise invalid("photos", "only one photo can be the primary one")
    stored = []
    for photo in photos:
        caption = photo.caption.strip() if photo.caption else None
        if caption is not None and len(caption) > MAX_CAPTION:
            raise invalid("photos", f"a caption has at most {MAX_CAPTION} characters")
        stored.append({"url": checked_url(photo.url, "photos"), "caption": caption or None,
                       "primary": photo.primary})
    if stored and not any(p["primary"] for p in stored):
        stored[0]["primary"] = True
    return stored


def social_links_column(links: Any) -> Any:
    if links is UNSET or links is None:
        return links
    platforms = [link.platform for link in links]
    if len(set(platforms)) != len(platforms):
        raise invalid("socialLinks", "one link per platform")
    return {link.platform.value: checked_url(link.url, "socialLinks") for link in links}


def attributes_column(attributes: Any) -> Any:
    if attributes is UNSET or attributes is None:
        return attributes
    return sorted({a.value for a in attributes})


def listing_fields(row: Any) -> dict[str, Any]:
    """The Business fields of these columns (for Business.from_row)."""
    badges = [BusinessBadge.CLAIMED] if row["owner_id"] is not None else []
    if row["verification_status"] == "verified":
        badges.append(BusinessBadge.VERIFIED)
    return {
        "photos": [Photo(url=p["url"], caption=p.get("caption"), primary=bool(p.get("primary")))
                   for p in row["photos"]],
        "attributes": [BusinessAttribute(a) for a in row["attributes"]],
        "social_links": [SocialLink(platform=SocialPlatform(k), url=v)
                         for k, v in sorted(row["social_links"].items())],
        "badges": badges,
    }
