"""Webhooks: a server registers an endpoint for change-log topics and gets every change its
user may see, in order, signed, retried, resumable (gql/webhooks/delivery.py says how)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from gql.context import Context
from gql.edge.persisted_documents import ALLOWLIST
from gql.resolvers import webhooks as resolvers
from gql.resolvers.changes import encode_change_cursor
from gql.resolvers.inputs import input_id, invalid
from gql.resolvers.writes import perform
from gql.schema.user_error import UserError, payload
from gql.schema.webhook_selection import event_statement

Info = strawberry.Info[Context, None]


@strawberry.enum
class WebhookTopic(Enum):
    BUSINESS = "business"
    REVIEW = "review"
    CATEGORY = "category"


@strawberry.enum
class WebhookStatus(Enum):
    ACTIVE = "active"
    PAUSED = "paused"


@strawberry.type
class WebhookDelivery:
    at: datetime
    events: int
    attempt: int
    status: int | None = strawberry.field(description="The endpoint's HTTP status; null when none came.")
    error: str | None
    latency_ms: int | None
    first_cursor: str
    last_cursor: str


SELECTION = ("What each event's `node` holds: a GraphQL selection on the changed object, e.g. "
             "`{ id name rating reviews(first: 3) { edges { node { rating } } } }` (on Business or Category "
             "for a webhook of that topic alone; otherwise on ChangedObject, with inline fragments). "
             "Without one, the object's fields as columns (snake_case).")


@strawberry.type
class Webhook:
    id: strawberry.ID
    url: str
    topics: list[WebhookTopic]
    business_id: strawberry.ID | None
    selection: str | None = strawberry.field(description=SELECTION)
    status: WebhookStatus
    paused_reason: str | None
    cursor: str = strawberry.field(description="Everything up to here was acknowledged (2xx).")
    failures: int = strawberry.field(description="Failed attempts in a row.")
    last_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime
    created_at: datetime
    _id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, r: Any) -> Webhook:
        return cls(id=strawberry.ID(str(r["id"])), url=r["url"],
                   topics=[WebhookTopic(t) for t in r["topics"]],
                   business_id=strawberry.ID(str(r["business_id"])) if r["business_id"] else None,
                   selection=r["selection"], status=WebhookStatus(r["status"]),
                   paused_reason=r["paused_reason"],
                   cursor=encode_change_cursor(r["cursor"]), failures=r["failures"],
                   last_status=r["last_status"],
                   last_error=r["last_error"], last_attempt_at=r["last_attempt_at"],
                   next_attempt_at=r["next_attempt_at"], created_at=r["created_at"], _id=r["id"])

    @strawberry.field(description="The newest deliveries first (kept 14 days).")
    async def deliveries(self, info: Info, first: int = 20) -> list[WebhookDelivery]:
        return [WebhookDelivery(at=d["at"], events=d["events"], attempt=d["attempt"], status=d["status"],
                                error=d["error"], latency_ms=d["latency_ms"],
                                first_cursor=encode_change_cursor(d["first_seq"]),
                                last_cursor=encode_change_cursor(d["last_seq"]))
                for d in await resolvers.deliveries(info.context, self._id, first)]


@strawberry.type
class CreatedWebhook:
    webhook: Webhook
    signing_secret: str = strawberry.field(
        description="Verify X-Directory-Signature with it (shown this once; README: Webhooks).")


@strawberry.type
class CreatedWebhookPayload:
    created: CreatedWebhook | None
    errors: list[UserError]


@strawberry.type
class WebhookPayload:
    webhook: Webhook | None
    errors: list[UserError]


async def my_webhooks(info: Info) -> list[Webhook]:
    return [Webhook.from_row(r) for r in await resolvers.mine(info.context)]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Register an endpoint for changes of these topics (of one business, "
                                     "given businessId), from now on. Needs the WEBHOOKS scope with a key.")
    async def create_webhook(
        self, info: Info, url: str, topics: list[WebhookTopic], business_id: strawberry.ID | None = None,
        selection: Annotated[str | None, strawberry.argument(description=SELECTION)] = None,
    ) -> CreatedWebhookPayload:
        async def make() -> CreatedWebhook:
            business = None if business_id is None else input_id(business_id, "businessId")
            if selection is not None and info.context.settings.persisted_documents == ALLOWLIST:
                # Only registered documents run on this server: a selection would be one more.
                raise invalid("selection", "not accepted here: this server runs registered documents only")
            if selection is not None:
                compiled = event_statement(info.schema._schema, selection, [t.value for t in topics])
                if isinstance(compiled, str):
                    raise invalid("selection", compiled)
            row, secret = await resolvers.create(info.context, url, [t.value for t in topics], business,
                                                 selection)
            assert row is not None
            return CreatedWebhook(webhook=Webhook.from_row(row), signing_secret=secret)
        return payload(CreatedWebhookPayload, lambda made: made, await perform(info.context, None, make))

    @strawberry.mutation
    async def pause_webhook(self, info: Info, id: strawberry.ID) -> WebhookPayload:
        return payload(WebhookPayload, Webhook.from_row, await perform(
            info.context, None, lambda: resolvers.set_state(info.context, input_id(id, "id"), active=False)))

    @strawberry.mutation(description="Deliver again, from its cursor or from fromCursor (an earlier "
                                     "cursor still in the change log).")
    async def resume_webhook(self, info: Info, id: strawberry.ID,
                             from_cursor: str | None = None) -> WebhookPayload:
        return payload(WebhookPayload, Webhook.from_row, await perform(
            info.context, None, lambda: resolvers.set_state(info.context, input_id(id, "id"), active=True,
                                                            from_cursor=from_cursor)))

    @strawberry.mutation
    async def delete_webhook(self, info: Info, id: strawberry.ID) -> WebhookPayload:
        return payload(WebhookPayload, Webhook.from_row, await perform(
            info.context, None,
            lambda: resolvers.set_state(info.context, input_id(id, "id"), active=False, remove=True)))
