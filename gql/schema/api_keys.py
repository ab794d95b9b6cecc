"""API keys for servers: made by a signed-in user (never by another key), shown once, used as
`Authorization: Bearer <key>`, acting as the user within the key's scopes and businesses."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from gql.context import Context
from gql.resolvers import api_keys as resolvers
from gql.resolvers.inputs import input_id, invalid
from gql.resolvers.writes import perform
from gql.schema.user_error import UserError, payload

Info = strawberry.Info[Context, None]


@strawberry.enum(description="READ: read as the user (drafts of their businesses included). WRITE_BUSINESS: "
                             "change businesses, their people and areas (categories, for administrators). "
                             "WRITE_REVIEW: reviews, responses, votes, flags (moderation, for moderators). "
                             "WEBHOOKS: register and manage webhooks.")
class ApiKeyScope(Enum):
    READ = "read"
    WRITE_BUSINESS = "write:business"
    WRITE_REVIEW = "write:review"
    WEBHOOKS = "webhooks"


@strawberry.type
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The key's first characters, to tell keys apart.")
    scopes: list[ApiKeyScope]
    business_ids: list[strawberry.ID] | None = strawberry.field(
        description="The businesses it acts for; null: all of its user's.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="Counted by each API process every few seconds.")
    request_count: int

    @classmethod
    def from_row(cls, row: Any) -> ApiKey:
        return cls(id=strawberry.ID(str(row["id"])), name=row["name"], prefix=row["prefix"],
                   scopes=[ApiKeyScope(s) for s in row["scopes"]],
                   business_ids=None if row["business_ids"] is None
                   else [strawberry.ID(str(b)) for b in row["business_ids"]],
                   created_at=row["created_at"], expires_at=row["expires_at"], revoked_at=row["revoked_at"],
                   last_used_at=row["last_used_at"], request_count=row["request_count"])


@strawberry.type
class CreatedApiKey:
    key: ApiKey
    secret: str = strawberry.field(description="Shown this once: only a hash of it is kept.")


@strawberry.type
class ApiKeyPayload:
    created: CreatedApiKey | None
    errors: list[UserError]


@strawberry.type
class RevokedApiKeyPayload:
    key: ApiKey | None
    errors: list[UserError]


async def my_api_keys(info: Info) -> list[ApiKey]:
    return [ApiKey.from_row(r) for r in await resolvers.mine(info.context)]


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(description="Make a key for a server to act as you within these scopes (and, "
                                     "given businessIds, for those of your businesses only).")
    async def create_api_key(self, info: Info, name: str, scopes: list[ApiKeyScope],
                             business_ids: list[strawberry.ID] | None = None,
                             expires_at: datetime | None = None) -> ApiKeyPayload:
        async def make() -> CreatedApiKey:
            if not scopes:
                raise invalid("scopes", "give at least one scope")
            if expires_at is not None and expires_at.tzinfo is None:
                raise invalid("expiresAt", "expiresAt needs a UTC offset")
            ids = None if business_ids is None else [input_id(b, "businessIds") for b in business_ids]
            chosen = [s.value for s in scopes]
            row, secret = await resolvers.create(info.context, name, chosen, ids, expires_at)
            assert row is not None
            return CreatedApiKey(key=ApiKey.from_row(row), secret=secret)
        return payload(ApiKeyPayload, lambda made: made, await perform(info.context, None, make))

    @strawberry.mutation(description="Revoke a key: refused from now on (at once by this server, within "
                                     "a few seconds by the others), its open sockets closed.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> RevokedApiKeyPayload:
        return payload(RevokedApiKeyPayload, ApiKey.from_row, await perform(
            info.context, None, lambda: resolvers.revoke(info.context, input_id(id, "id"))))
