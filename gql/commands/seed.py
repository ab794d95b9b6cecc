"""Deterministic demo data set, generated with Faker and bulk-loaded with COPY.

The same seed gives the same rows, ids included: every random choice comes from one
`random.Random(seed)` and a Faker seeded from it. Timestamps count back from a fixed
SEED_EPOCH, not from the clock, for the same reason.
"""

from __future__ import annotations

import math
import random
import re
import sys
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from faker import Faker

from gql.commands.seed_data import (
    ADJECTIVES,
    CATEGORIES,
    CITIES,
    HOURS_PROFILES,
    OWNER_REPLIES,
    PHOTO_CAPTIONS,
    REVIEW_DETAILS,
    REVIEW_OPENERS,
    REVIEW_TITLES,
    City,
    SubCategory,
)
from gql.schema.listing import BusinessAttribute, SocialPlatform

SEED_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)

Row = tuple[Any, ...]


@dataclass(frozen=True)
class SeedOptions:
    businesses: int = 1000
    reviews: int = 5000
    seed: int = 42


@dataclass
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)


@dataclass
class DemoData:
    categories: Table
    users: Table
    user_roles: Table
    businesses: Table
    business_managers: Table
    reviews: Table
    responses: Table
    votes: Table

    def in_load_order(self) -> list[Table]:
        return [self.users, self.user_roles, self.businesses, self.business_managers,
                self.reviews, self.responses, self.votes]


class DatabaseNotEmpty(Exception):
    pass


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class _Generator:
    def __init__(self, options: SeedOptions) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(options.seed)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def past(self, earliest: datetime, latest: datetime = SEED_EPOCH) -> datetime:
        span = max(0.0, (latest - earliest).total_seconds())
        return earliest + timedelta(seconds=self.rng.uniform(0, span))

    def generate(self) -> DemoData:
        categories, leaves = self.categories()
        users = self.users(max(20, self.options.reviews // 4 + self.options.businesses // 5))
        user_ids = [row[0] for row in users.rows]
        roles = Table("user_roles", ("user_id", "role", "granted_at"),
                      [(user_ids[0], "admin", SEED_EPOCH - timedelta(days=1000))])
        businesses, owners, quality = self.businesses(leaves, user_ids)
        managers = self.managers(businesses, owners, user_ids)
        reviews = self.reviews(businesses, quality, user_ids)
        responses = self.responses(reviews, owners)
        votes = self.votes(reviews, user_ids)
        return DemoData(categories, users, roles, businesses, managers, reviews, responses, votes)

    def categories(self) -> tuple[Table, list[tuple[uuid.UUID, uuid.UUID, SubCategory]]]:
        table = Table("categories", ("id", "parent_id", "slug", "name", "icon", "sort_order",
                                     "created_at", "updated_at"))
        leaves = []
        created = SEED_EPOCH - timedelta(days=5 * 365)
        for top_order, top in enumerate(CATEGORIES):
            top_id = self.new_id()
            table.rows.append((top_id, None, top.slug, top.name, top.icon, top_order,
                               created, created))
            for order, sub in enumerate(top.children):
                sub_id = self.new_id()
                table.rows.append((sub_id, top_id, sub.slug, sub.name, None, order,
                                   created, created))
                leaves.append((top_id, sub_id, sub))
        return table, leaves

    def users(self, count: int) -> Table:
        # Demo people have no password and so no email address (they cannot sign in).
        table = Table("users", ("id", "display_name", "created_at", "updated_at"))
        for _ in range(count):
            first, last = self.fake.first_name(), self.fake.last_name()
            joined = self.past(SEED_EPOCH - timedelta(days=1500))
            table.rows.append((self.new_id(), f"{first} {last[0]}.", joined, joined))
        return table

    def location(self, city: City) -> tuple[float, float]:
        # Businesses thin out with distance from the centre (about 7 km standard deviation).
        lat = city.latitude + self.rng.gauss(0, 0.06)
        lon = city.longitude + self.rng.gauss(0, 0.06 / math.cos(math.radians(city.latitude)))
        return round(lat, 6), round(lon, 6)

    def business_name(self, sub: SubCategory, city: City) -> str:
        noun = self.rng.choice(sub.nouns)
        pattern = self.rng.randrange(4)
        if pattern == 0:
            owner = self.fake.last_name()
            return f"{owner}' {noun}" if owner.endswith("s") else f"{owner}'s {noun}"
        if pattern == 1:
            return f"{city.name} {noun}"
        if pattern == 2:
            return f"{self.rng.choice(ADJECTIVES)} {noun}"
        return f"The {self.rng.choice(ADJECTIVES)} {noun}"

    def hours(self, sub: SubCategory) -> dict[str, list[list[str]]]:
        schedule = self.rng.choice(HOURS_PROFILES[sub.hours])
        return {day: [list(iv) for iv in intervals] for day, intervals in schedule.items()}

    def special_hours(self) -> dict[str, list[list[str]]]:
        if self.rng.random() > 0.15:
            return {}
        year = SEED_EPOCH.year
        return {f"{year}-12-25": [], f"{year}-12-24": [["09:00", "14:00"]],
                f"{year + 1}-01-01": []}

    def listing(self, business_id: uuid.UUID, slug: str) -> tuple[Any, ...]:
        """Logo, cover, price level, attributes, social links and photos: from a generator of
        the business's own, so that they leave the rest of the data set as it was."""
        rng = random.Random(f"{self.options.seed}-listing-{business_id}")
        site = f"https://images.example.com/{slug}"
        photos = [{"url": f"{site}/photo-{n}.jpg", "caption": rng.choice(PHOTO_CAPTIONS) if rng.random() < 0.7
                   else None, "primary": n == 1} for n in range(1, rng.randint(0, 6) + 1)]
        social = {platform.value: f"https://{platform.value}.example.com/{slug}"
                  for platform in SocialPlatform if rng.random() < 0.3}
        return (f"{site}/logo.png" if rng.random() < 0.7 else None,
                f"{site}/cover.jpg" if rng.random() < 0.5 else None,
                rng.choices((1, 2, 3, 4), (30, 40, 20, 10))[0] if rng.random() < 0.9 else None,
                sorted(a.value for a in BusinessAttribute if rng.random() < 0.35), social, photos)

    def businesses(
        self, leaves: Sequence[tuple[uuid.UUID, uuid.UUID, SubCategory]], user_ids: list[uuid.UUID]
    ) -> tuple[Table, dict[uuid.UUID, uuid.UUID], dict[uuid.UUID, float]]:
        table = Table("businesses", (
            "id", "slug", "name", "description", "short_description", "primary_category_id",
            "secondary_category_ids", "tags", "phone", "email", "website", "address_line1",
            "city", "state", "zip_code", "country", "latitude", "longitude", "timezone", "hours",
            "special_hours", "status", "published_at", "suspended_at", "suspension_reason",
            "deleted_at", "subscription_tier", "verification_status", "verified_at",
            "quality_score", "owner_id", "created_at", "updated_at",
            "logo_url", "cover_url", "price_level", "attributes", "social_links", "photos",
        ))
        owners: dict[uuid.UUID, uuid.UUID] = {}
        quality: dict[uuid.UUID, float] = {}
        used_slugs: set[str] = set()
        city_weights = [c.weight for c in CITIES]
        # Owners come from the second half of the users, so reviewers and owners mostly differ.
        owner_pool = user_ids[len(user_ids) // 2:]
        for _ in range(self.options.businesses):
            _top_id, sub_id, sub = self.rng.choice(leaves)
            city = self.rng.choices(CITIES, weights=city_weights)[0]
            name = self.business_name(sub, city)
            slug = base = slugify(f"{name} {city.name}")
            n = 2
            while slug in used_slugs:
                slug, n = f"{base}-{n}", n + 1
            used_slugs.add(slug)
            business_id = self.new_id()
            created = self.past(SEED_EPOCH - timedelta(days=4 * 365), SEED_EPOCH - timedelta(days=30))
            secondary = []
            if self.rng.random() < 0.15:
                other = self.rng.choice(leaves)
                if other[1] != sub_id:
                    secondary.append(other[1])
            keywords = list(sub.keywords)
            self.rng.shuffle(keywords)
            roll = self.rng.random()
            status = "active" if roll < 0.88 else "draft" if roll < 0.95 else "suspended"
            deleted = self.past(created) if status == "active" and self.rng.random() < 0.01 else None
            owner = self.rng.choice(owner_pool) if self.rng.random() < 0.6 else None
            if owner is not None:
                owners[business_id] = owner
            quality[business_id] = self.rng.uniform(2.3, 4.9)
            verified = self.rng.random() < 0.4
            lat, lon = self.location(city)
            description = (
                f"{name} is a {sub.name.lower()} business in {city.name}, {city.state}, "
                f"known for {keywords[0]} and {keywords[1]}. "
                f"{self.fake.catch_phrase()}. We also offer {keywords[2]}."
            )
            table.rows.append((
                business_id, slug, name, description,
                f"{sub.name} in {city.name}: {keywords[0]}, {keywords[1]}",
                sub_id, secondary, keywords[:3],
                f"+1 {self.rng.randint(201, 989)}-555-{self.rng.randint(0, 9999):04d}",
                f"info@{slug}.example.com", f"https://www.{slug}.example.com",
                self.fake.street_address(), city.name, city.state,
                f"{city.zip_prefix}{self.rng.randint(0, 99):02d}", "US", lat, lon, city.timezone,
                self.hours(sub), self.special_hours(), status,
                created if status != "draft" else None,
                self.past(created) if status == "suspended" else None,
                "Reported as permanently closed" if status == "suspended" else None,
                deleted, self.rng.choices(("free", "premium", "elite"), (80, 15, 5))[0],
                "verified" if verified else "pending", self.past(created) if verified else None,
                round(self.rng.uniform(2.5, 5.0), 2), owner, created, created,
                *self.listing(business_id, slug),
            ))
        return table, owners, quality

    def managers(
        self, businesses: Table, owners: dict[uuid.UUID, uuid.UUID], user_ids: list[uuid.UUID]
    ) -> Table:
        table = Table("business_managers", ("business_id", "user_id", "role", "created_at"))
        for row in businesses.rows:
            owner = owners.get(row[0])
            if owner is not None and self.rng.random() < 0.1:
                manager = self.rng.choice(user_ids)
                if manager != owner:
                    since = row[businesses.columns.index("updated_at")]
                    table.rows.append((row[0], manager, "manager", since))
        return table

    def reviews(
        self, businesses: Table, quality: dict[uuid.UUID, float], user_ids: list[uuid.UUID]
    ) -> Table:
        table = Table("business_reviews", (
            "id", "business_id", "author_id", "rating", "title", "content", "visit_date",
            "status", "published_at", "created_at", "updated_at",
        ))
        open_rows = [row for row in businesses.rows if row[21] != "draft"]
        if not open_rows:
            return table
        # Popularity follows a long tail: a few businesses collect many reviews.
        weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(open_rows))]
        self.rng.shuffle(weights)
        reviewers = user_ids[: max(1, len(user_ids) * 3 // 4)]
        seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
        attempts = 0
        while len(table.rows) < self.options.reviews and attempts < self.options.reviews * 20:
            attempts += 1
            business = self.rng.choices(open_rows, weights=weights)[0]
            author = self.rng.choice(reviewers)
            if (business[0], author) in seen:
                continue
            seen.add((business[0], author))
            rating = min(5, max(1, round(self.rng.gauss(quality[business[0]], 1.0))))
            keyword = self.rng.choice(business[7])
            content = " ".join((
                self.rng.choice(REVIEW_OPENERS[rating]),
                self.rng.choice(REVIEW_DETAILS[rating]).format(kw=keyword).capitalize(),
                self.fake.sentence(nb_words=10),
            ))
            created = self.past(business[31])
            roll = self.rng.random()
            status = "published" if roll < 0.9 else "pending" if roll < 0.97 else "rejected"
            table.rows.append((
                self.new_id(), business[0], author, rating,
                self.rng.choice(REVIEW_TITLES[rating]), content,
                (created - timedelta(days=self.rng.randint(0, 20))).date(), status,
                created if status == "published" else None, created, created,
            ))
        return table

    def responses(self, reviews: Table, owners: dict[uuid.UUID, uuid.UUID]) -> Table:
        table = Table("review_responses", (
            "id", "review_id", "business_id", "responder_id", "content", "created_at", "updated_at",
        ))
        for review in reviews.rows:
            owner = owners.get(review[1])
            if owner is None or review[7] != "published" or self.rng.random() > 0.3:
                continue
            answered = review[9] + timedelta(hours=self.rng.uniform(2, 96))
            table.rows.append((self.new_id(), review[0], review[1], owner,
                               self.rng.choice(OWNER_REPLIES), answered, answered))
        return table

    def votes(self, reviews: Table, user_ids: list[uuid.UUID]) -> Table:
        table = Table("review_votes", ("review_id", "user_id", "helpful", "created_at", "updated_at"))
        for review in reviews.rows:
            if review[7] != "published":
                continue
            voters = self.rng.sample(user_ids, k=min(len(user_ids), self.rng.choice((0, 0, 1, 2, 3, 6))))
            for voter in voters:
                if voter == review[2]:
                    continue
                at = review[9] + timedelta(days=self.rng.uniform(0, 30))
                table.rows.append((review[0], voter, self.rng.random() < 0.8, at, at))
        return table


def generate(options: SeedOptions) -> DemoData:
    return _Generator(options).generate()


class Progress:
    """A one-line progress bar on stderr (a plain line per table when not a terminal)."""

    WIDTH = 30

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = max(1, total)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self, rows: int, label: str) -> None:
        self.done += rows
        filled = round(self.WIDTH * self.done / self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = f"seed [{bar}] {self.done:>9,}/{self.total:,} rows  {label:<18}"
        if self.live:
            print("\r" + line, end="", file=self.stream, flush=True)
        else:
            print(line, file=self.stream, flush=True)

    def finish(self) -> None:
        if self.live:
            print(file=self.stream, flush=True)


async def is_empty(conn: asyncpg.Connection) -> bool:
    return not await conn.fetchval("select exists(select 1 from businesses)")


async def load(conn: asyncpg.Connection, data: DemoData, *, chunk_rows: int = 5000,
               quiet: bool = False) -> dict[str, int]:
    """Insert the data set in one transaction; COPY for everything but the category tree."""
    tables = data.in_load_order()
    progress = None if quiet else Progress(sum(len(t.rows) for t in tables) + len(data.categories.rows))
    async with conn.transaction():
        # A bulk load is not an edit anyone made: keep it out of the audit and change logs.
        await conn.execute("select set_config('gql.bulk_load', 'on', true)")
        # Categories one by one: each row's path trigger reads its parent's path.
        cols = data.categories.columns
        await conn.executemany(
            f"insert into categories ({', '.join(cols)}) "
            f"values ({', '.join(f'${i + 1}' for i in range(len(cols)))})",
            data.categories.rows,
        )
        if progress:
            progress.advance(len(data.categories.rows), "categories")
        for table in tables:
            for start in range(0, len(table.rows), chunk_rows):
                chunk = table.rows[start:start + chunk_rows]
                await conn.copy_records_to_table(table.name, records=chunk, columns=table.columns)
                if progress:
                    progress.advance(len(chunk), table.name)
        await conn.execute("select api_private.refresh_search_vocabulary()")
    if progress:
        progress.finish()
    return {t.name: len(t.rows) for t in [data.categories, *tables]}


async def reset(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "truncate review_votes, review_responses, business_reviews, business_managers,"
        " businesses, categories, user_roles, users cascade"
    )


async def seed_database(conn: asyncpg.Connection, options: SeedOptions, *,
                        replace: bool = False, quiet: bool = False) -> dict[str, int]:
    if not await is_empty(conn):
        if not replace:
            raise DatabaseNotEmpty(
                "the database already has businesses; pass --reset to replace them"
            )
        await reset(conn)
    data = generate(options)
    return await load(conn, data, quiet=quiet)

