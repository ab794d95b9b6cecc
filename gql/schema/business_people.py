"""The people of a business: `myBusinesses` (what you own or manage, drafts included),
managers invited by email and removed, and claims of listings that have no owner."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry

from gql.context import Context
from gql.resolvers import business_people as resolvers
from gql.resolvers import users as user_resolvers
from gql.resolvers.inputs import input_id
from gql.resolvers.paging import check_page_size
from gql.resolvers.writes import perform
from gql.schema.business import Business, maybe_business
from gql.schema.business_mutations import BusinessPayload
from gql.schema.user import User, maybe_user
from gql.schema.user_error import UserError, payload

Info = strawberry.Info[Context, None]


@strawberry.enum
class BusinessRole(Enum):
    OWNER = "owner"
    MANAGER = "manager"


@strawberry.type
class ManagedBusiness:
    business: Business
    role: BusinessRole = strawberry.field(description="Yours: the owner's, or a manager's.")

    @strawberry.field(description="Who manages it besides its owner.")
    async def managers(self, info: Info) -> list[User]:
        ids = await resolvers.managers_of(info.context, UUID(str(self.business.id)))
        users = [maybe_user(await user_resolvers.profile(info.context, i)) for i in ids]
        return [u for u in users if u is not None]


@strawberry.type
class MyBusinesses:
    items: list[ManagedBusiness]
    end_cursor: str | None
    has_next_page: bool


async def my_businesses(info: Info, first: int, after: str | None) -> MyBusinesses:
    check_page_size(first)
    rows, more = await resolvers.my_businesses(info.context, first, after)
    me = info.context.identity.user_id
    return MyBusinesses(
        items=[ManagedBusiness(business=Business.from_row(r),
                               role=BusinessRole.OWNER if r["owner_id"] == me else BusinessRole.MANAGER)
               for r in rows],
        end_cursor=resolvers.mine_cursor(rows[-1]) if rows else after, has_next_page=more)


@strawberry.type
class ManagerInvitation:
    id: strawberry.ID
    expires_at: datetime


@strawberry.type
class InvitationPayload:
    invitation: ManagerInvitation | None
    errors: list[UserError]


@strawberry.type
class RemovedPayload:
    removed: bool | None
    errors: list[UserError]


@strawberry.enum
class ClaimStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@strawberry.type(description="A request to own a listing that has no owner; an administrator decides.")
class BusinessClaim:
    id: strawberry.ID
    status: ClaimStatus
    message: str
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    _business_id: strawberry.Private[UUID]
    _claimant_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: Any) -> BusinessClaim:
        return cls(id=strawberry.ID(str(row["id"])), status=ClaimStatus(row["status"]),
                   message=row["message"],
                   created_at=row["created_at"], decided_at=row["decided_at"],
                   decision_note=row["decision_note"], _business_id=row["business_id"],
                   _claimant_id=row["claimant_id"])

    @strawberry.field
    async def business(self, info: Info) -> Business | None:
        return maybe_business(await info.context.loaders.business_by_id.load(self._business_id))

    @strawberry.field
    async def claimant(self, info: Info) -> User | None:
        return maybe_user(await user_resolvers.profile(info.context, self._claimant_id))


@strawberry.type
class ClaimPayload:
    claim: BusinessClaim | None
    errors: list[UserError]


@strawberry.type
class BusinessClaims:
    items: list[BusinessClaim]
    end_cursor: str | None
    has_next_page: bool


async def business_claims(info: Info, status: ClaimStatus, first: int, after: str | None) -> BusinessClaims:
    check_page_size(first)
    rows, more = await resolvers.claims(info.context, status.value, first, after)
    return BusinessClaims(items=[BusinessClaim.from_row(r) for r in rows],
                          end_cursor=resolvers.claims_cursor(rows[-1]) if rows else after, has_next_page=more)


def _invitation(row: Any) -> ManagerInvitation:
    return ManagerInvitation(id=strawberry.ID(str(row["invitation_id"])), expires_at=row["expires_at"])


@strawberry.type
class BusinessPeopleMutations:
    @strawberry.mutation(description="Owners: invite someone to manage the business, by email address. "
                                     "A code goes to the address (the outbox), good for 7 days, once.")
    async def invite_manager(self, info: Info, business_id: strawberry.ID, email: str,
                             client_id: str | None = None) -> InvitationPayload:
        return payload(InvitationPayload, _invitation, await perform(
            info.context, client_id,
            lambda: resolvers.invite(info.context, input_id(business_id, "businessId"), email)))

    @strawberry.mutation(description="Accept an invitation to manage a business, signed in with the "
                                     "address it was sent to.")
    async def accept_manager_invitation(self, info: Info, token: str,
                                        client_id: str | None = None) -> BusinessPayload:
        return payload(BusinessPayload, maybe_business, await perform(
            info.context, client_id, lambda: resolvers.accept(info.context, token)))

    @strawberry.mutation(description="Owners: withdraw an invitation not yet accepted.")
    async def revoke_manager_invitation(self, info: Info, id: strawberry.ID,
                                        client_id: str | None = None) -> RemovedPayload:
        return payload(RemovedPayload, bool, await perform(
            info.context, client_id, lambda: resolvers.revoke_invitation(info.context, input_id(id, "id"))))

    @strawberry.mutation(description="Owners: remove a manager (and withdraw their invitations). A "
                                     "manager may remove themselves.")
    async def remove_manager(self, info: Info, business_id: strawberry.ID, user_id: strawberry.ID,
                             client_id: str | None = None) -> RemovedPayload:
        return payload(RemovedPayload, bool, await perform(
            info.context, client_id,
            lambda: resolvers.remove(info.context, input_id(business_id, "businessId"),
                                     input_id(user_id, "userId"))))

    @strawberry.mutation(description="Ask to own a published listing that has no owner, saying who you "
                                     "are to it; an administrator decides (businessClaims).")
    async def claim_business(self, info: Info, business_id: strawberry.ID, message: str,
                             client_id: str | None = None) -> ClaimPayload:
        return payload(ClaimPayload, BusinessClaim.from_row, await perform(
            info.context, client_id,
            lambda: resolvers.claim(info.context, input_id(business_id, "businessId"), message)))

    @strawberry.mutation(description="Administrators: approve a claim (the claimant becomes the owner; "
                                     "other pending claims of the business are rejected) or reject it "
                                     "with a note.")
    async def decide_business_claim(self, info: Info, id: strawberry.ID, approve: bool,
                                    note: str | None = None, client_id: str | None = None) -> ClaimPayload:
        return payload(ClaimPayload, BusinessClaim.from_row, await perform(
            info.context, client_id,
            lambda: resolvers.decide(info.context, input_id(id, "id"), approve, note)))
