"""The root Mutation type, merged from each domain's mutations."""

from __future__ import annotations

from strawberry.tools import merge_types

from gql.schema.accounts import AccountMutations
from gql.schema.analytics import AnalyticsMutations
from gql.schema.api_keys import ApiKeyMutations
from gql.schema.business_mutations import BusinessMutations
from gql.schema.business_people import BusinessPeopleMutations
from gql.schema.category_mutations import CategoryMutations
from gql.schema.review_mutations import ReviewMutations
from gql.schema.webhooks import WebhookMutations

Mutation = merge_types(
    "Mutation",
    (AccountMutations, AnalyticsMutations, ApiKeyMutations, BusinessMutations, BusinessPeopleMutations,
     CategoryMutations, ReviewMutations, WebhookMutations))
