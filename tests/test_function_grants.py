"""The security boundary from both sides: exactly these api functions are executable by the
request roles (the callable API, and the helpers that policies, column defaults, triggers and
caller-rights functions evaluate as the request's role), and the internals are refused to
every request role. A new function is private until it is listed in
db/functions/99_function_grants.sql or reached from a listed one; then this list must change."""

from __future__ import annotations

import asyncpg
import pytest

REQUEST_ROLES = ["gql_anonymous", "gql_user", "gql_admin"]

EXECUTABLE = set(["analytics_now", "change_object_visible", "change_positions", "own_change_client_id", "autocomplete", "bearing_degrees", "business_analytics", "business_category_closure", "business_category_names", "business_count", "business_page", "business_search_vector", "businesses_by_id", "businesses_by_slug", "businesses_serving", "categories_by_id", "categories_by_slug", "category_children", "category_roots", "check_business_editable", "check_mergeable", "claim_idempotency_key", "claims", "given_claims", "key_may_read", "shown", "create_business", "create_category", "create_review", "current_user_id", "delete_business", "delete_review", "explain_review_not_changed", "flag_review", "has_link", "has_role", "hours_problem", "intervals_on", "is_open_at", "is_open_now", "iso_timestamp", "manages_business", "me", "moderate_review", "moderation_queue", "my_sessions", "my_businesses", "managers_of", "invite_manager", "accept_manager_invitation", "remove_manager", "claim_business", "decide_business_claim", "business_claims", "revoke_manager_invitation", "require_writer", "my_api_keys", "key_reaches", "revoke_api_key", "create_api_key", "runs_business", "set_webhook_state", "my_webhooks", "create_webhook", "webhook_deliveries", "most_helpful_reviews", "newest_reviews", "oldest_reviews", "highest_rated_reviews", "lowest_rated_reviews", "my_recent_reviews", "nearby_businesses", "nearby_count", "operations_report", "new_business_slug", "new_review_status", "normalized", "owns_business", "page_cursor", "platform_stats", "polygon_from_ring", "raise_user_error", "record_business_click", "record_business_view", "require_admin", "require_user", "respond_to_review", "responses_by_id", "responses_by_review", "review_edit_window", "review_pages", "review_rate_limit", "reviews_by_id", "search_businesses", "search_count", "serves_location", "service_areas_of", "set_business_status", "set_service_areas", "settle_idempotency_key", "sign_up", "slugify", "spelling_suggestion", "update_business", "update_category", "update_review", "user_profiles", "visible_review", "vote_review"])

# What an attacker would call first (found callable by anonymous requests before).
INTERNALS = {
    "api_private.add_business_rating_counts": "select api_private.add_business_rating_counts('{}'::jsonb)",
    "api_private.prune_change_log": "select api_private.prune_change_log('0 seconds')",
    "api_private.login_candidate": "select * from api_private.login_candidate('\\x00', null, null)",
    "api_private.record_login": "select api_private.record_login(1, null)",
    "api_private.account_of": "select * from api_private.account_of(gen_random_uuid())",
    "api_private.account_state": "select * from api_private.account_state(gen_random_uuid(), null)",
    "api_private.refresh_session": "select * from api_private.refresh_session('\\x00', '\\x01')",
    "api_private.open_session": "select api_private.open_session(gen_random_uuid(), '\\x00', null)",
    "api_private.use_account_token": "select api_private.use_account_token('\\x00', 'password_reset')",
    "api_private.reset_password": "select api_private.reset_password('\\x00', 'x')",
    "api_private.pending_messages": "select * from api_private.pending_messages(10)",
    "api_private.key_identity": "select * from api_private.key_identity('\\x00', 0)",
    "api_private.due_webhooks": "select * from api_private.due_webhooks(10)",
    "api_private.due_webhook": "select * from api_private.due_webhook(gen_random_uuid())",
    "api_private.webhook_done": "select api_private.webhook_done(gen_random_uuid(), 0, 0, 0, 0, 200, 1)",
    "api_private.changes_after": "select * from api_private.changes_after(0, 10)",
    "api_private.refresh_business_stats": "select api_private.refresh_business_stats()",
    "api_private.ensure_audit_partitions": "select api_private.ensure_audit_partitions(3)",
    "api_private.apply_retention": "select api_private.apply_retention(0, 0, 0, 0)",
    "api_private.recount_category_businesses": "select api_private.recount_category_businesses()",
    "api_private.flag_weight": "select api_private.flag_weight(gen_random_uuid())",
    "api_private.run_compiled": "select api_private.run_compiled('gql_admin', '{}', '', 'select 1', '{}')",
    "api_private.register_document": "select api_private.register_document(repeat('0', 64), 'x', null)",
    "api_private.register_document_id": "select api_private.register_document_id('x', repeat('0', 64))",
    "api_private.registered_document": "select api_private.registered_document('x')",
}


@pytest.mark.parametrize("role", REQUEST_ROLES)
async def test_request_roles_may_execute_exactly_the_callable_api(db: asyncpg.Connection, role: str) -> None:
    rows = await db.fetch(
        "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'api' and has_function_privilege($1, p.oid, 'execute')", role)
    executable = {r["proname"] for r in rows}
    assert executable - EXECUTABLE == set(), "executable but not on the allow-list"
    assert EXECUTABLE - executable == set(), "on the allow-list but not executable"


@pytest.mark.parametrize("role", REQUEST_ROLES)
@pytest.mark.parametrize("name", list(INTERNALS))
async def test_internals_are_refused_to_every_request_role(db: asyncpg.Connection, role: str, name: str) -> None:
    if name.removeprefix("api_private.") not in await _names(db):
        pytest.fail(f"{name} no longer exists: update INTERNALS")
    async with db.transaction():  # (refused, so nothing to undo; the role ends with it)
        await db.execute(f"set local role {role}")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.execute(INTERNALS[name])


async def _names(db: asyncpg.Connection) -> set[str]:
    rows = await db.fetch("select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
                          " where n.nspname = 'api_private'")
    return {r["proname"] for r in rows}


@pytest.mark.parametrize("role", REQUEST_ROLES)
async def test_request_roles_cannot_look_into_the_private_schema(db: asyncpg.Connection, role: str) -> None:
    assert not await db.fetchval("select has_schema_privilege($1, 'api_private', 'usage')", role)
    private = await db.fetchval(
        "select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'api_private' and has_function_privilege($1, p.oid, 'execute')", role)
    assert private == 0


@pytest.mark.parametrize("role", REQUEST_ROLES)
async def test_request_roles_read_the_change_log_without_who_made_each_change(db: asyncpg.Connection,
                                                                               role: str) -> None:
    async with db.transaction():
        await db.execute(f"set local role {role}")
        await db.fetch("select seq, topic, entity, entity_id, business_id, op, at from change_log limit 1")
    for column in ("actor_id", "client_id", "stakeholders", "was_public", "txid"):
        async with db.transaction():
            await db.execute(f"set local role {role}")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await db.fetch(f"select {column} from change_log limit 1")
