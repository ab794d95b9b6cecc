-- Row-level security: the authority on who sees and changes what (DESIGN rule 5).
-- Request roles: gql_anonymous (no token), gql_user (signed in), gql_admin (signed in with
-- the admin role). Identity comes from api.claims(), which is empty (anonymous) for an API key
-- without the read scope, whatever its role: so the public's policies name every role.
-- Policies are re-created here on every rebuild of the code layer, so each one is dropped first.

-- Categories: everyone reads active ones; administrators write (admin policy below).
drop policy if exists categories_public_read on categories;
create policy categories_public_read on categories for select
    to gql_anonymous, gql_user, gql_admin using (active);

-- Businesses: the public reads listed ones; owners and managers read and write their own
-- whatever the status; nobody but administrators sees a deleted one.
drop policy if exists businesses_public_read on businesses;
create policy businesses_public_read on businesses for select
    to gql_anonymous, gql_user, gql_admin using (status = 'active' and deleted_at is null);

-- owner_id is checked on the row itself (not only through api.manages_business, which reads
-- the table) so that a row being inserted is already its owner's to see.
drop policy if exists businesses_managed_read on businesses;
create policy businesses_managed_read on businesses for select
    to gql_user
    using (deleted_at is null and (owner_id = api.current_user_id() or api.manages_business(id))
           and api.key_reaches(id));

drop policy if exists businesses_owner_insert on businesses;
create policy businesses_owner_insert on businesses for insert
    to gql_user with check (owner_id = api.current_user_id());

drop policy if exists businesses_managed_update on businesses;
create policy businesses_managed_update on businesses for update
    to gql_user
    using (deleted_at is null and (owner_id = api.current_user_id() or api.manages_business(id))
           and api.key_reaches(id))
    with check ((owner_id = api.current_user_id() or api.manages_business(id)) and api.key_reaches(id));

-- Reviews: the public reads published reviews of businesses it can see; authors read their
-- own in any status and change them (the guard trigger keeps edits to 30 days).
drop policy if exists business_reviews_public_read on business_reviews;
create policy business_reviews_public_read on business_reviews for select
    to gql_anonymous, gql_user, gql_admin
    using (status = 'published' and deleted_at is null
           and exists (select 1 from businesses b where b.id = business_id));

-- (An API key limited to businesses reads its user's reviews of those only.)
drop policy if exists business_reviews_author_read on business_reviews;
create policy business_reviews_author_read on business_reviews for select
    to gql_user using (author_id = api.current_user_id() and deleted_at is null and api.key_reaches(business_id));

drop policy if exists business_reviews_author_insert on business_reviews;
create policy business_reviews_author_insert on business_reviews for insert
    to gql_user
    with check (author_id = api.current_user_id()
                and not api.runs_business(business_id)
                and exists (select 1 from businesses b where b.id = business_id
                             and b.status = 'active' and b.deleted_at is null));

drop policy if exists business_reviews_author_update on business_reviews;
create policy business_reviews_author_update on business_reviews for update
    to gql_user using (author_id = api.current_user_id() and deleted_at is null and api.key_reaches(business_id))
    with check (author_id = api.current_user_id());

-- Responses: public with their review; written by the business's owner and managers.
drop policy if exists review_responses_public_read on review_responses;
create policy review_responses_public_read on review_responses for select
    to gql_anonymous, gql_user, gql_admin
    using (deleted_at is null
           and exists (select 1 from business_reviews r where r.id = review_id));

drop policy if exists review_responses_managed_write on review_responses;
create policy review_responses_managed_write on review_responses for insert
    to gql_user with check (api.manages_business(business_id) and responder_id = api.current_user_id());

drop policy if exists review_responses_managed_update on review_responses;
create policy review_responses_managed_update on review_responses for update
    to gql_user using (api.manages_business(business_id))
    with check (api.manages_business(business_id) and responder_id = api.current_user_id());

-- Votes and flags: each user sees and changes only their own.
drop policy if exists review_votes_own on review_votes;
create policy review_votes_own on review_votes for all
    to gql_user using (user_id = api.current_user_id()) with check (user_id = api.current_user_id());

drop policy if exists review_flags_own on review_flags;
create policy review_flags_own on review_flags for all
    to gql_user using (user_id = api.current_user_id()) with check (user_id = api.current_user_id());

-- Managers: visible to the business's owner and managers; the owner adds and removes them.
drop policy if exists business_managers_read on business_managers;
create policy business_managers_read on business_managers for select
    to gql_user using (user_id = api.current_user_id() or api.manages_business(business_id));

drop policy if exists business_managers_owner_write on business_managers;
create policy business_managers_owner_write on business_managers for insert
    to gql_user with check (api.owns_business(business_id));

drop policy if exists business_managers_owner_delete on business_managers;
create policy business_managers_owner_delete on business_managers for delete
    to gql_user using (api.owns_business(business_id));

-- Users: public profiles (the column grants keep e-mail and password hash out); each user
-- updates their own.
drop policy if exists users_public_profile on users;
create policy users_public_profile on users for select
    to gql_anonymous, gql_user, gql_admin using (deleted_at is null);

drop policy if exists users_update_self on users;
create policy users_update_self on users for update
    to gql_user using (id = api.current_user_id()) with check (id = api.current_user_id());

-- Service areas: public with their business; written by its owner and managers.
drop policy if exists business_service_areas_read on business_service_areas;
create policy business_service_areas_read on business_service_areas for select
    to gql_anonymous, gql_user, gql_admin
    using (exists (select 1 from businesses b where b.id = business_id));

drop policy if exists business_service_areas_managed_write on business_service_areas;
create policy business_service_areas_managed_write on business_service_areas for insert
    to gql_user with check (api.manages_business(business_id));

drop policy if exists business_service_areas_managed_delete on business_service_areas;
create policy business_service_areas_managed_delete on business_service_areas for delete
    to gql_user using (api.manages_business(business_id));

-- Idempotency keys: each user's own.
drop policy if exists idempotency_keys_own on idempotency_keys;
create policy idempotency_keys_own on idempotency_keys for all
    to gql_user, gql_admin using (user_id = api.current_user_id())
    with check (user_id = api.current_user_id());

-- The change log: a change is a request role's to see when its object is visible to it now,
-- or was before the change (then it is a tombstone), as api_private.change_audience recorded
-- at the time (a stakeholder's tombstone only within what their API key reaches). The live
-- feed, Query.changes and the webhooks ask this policy about tombstones too
-- (gql/realtime/feed.py), so it decides for every path.
drop policy if exists change_log_visible on change_log;
create policy change_log_visible on change_log for select
    to gql_anonymous, gql_user, gql_admin
    using (seq is not null and (
        (op <> 'INSERT' and (was_public or api.has_role('admin')
                             or (api.current_user_id() = any(stakeholders)
                                 and (business_id is null or api.key_reaches(business_id)))))
        or api.change_object_visible(entity, entity_id)));

-- Administrators see and change everything: the role with the claims to match (an
-- administrator's API key without the read scope reads as anyone does).

do $$
declare
    t text;
begin
    foreach t in array array['categories', 'businesses', 'business_reviews', 'review_responses',
                             'review_votes', 'review_flags', 'business_managers', 'users',
                             'user_roles', 'audit_logs', 'security_events',
                             'business_service_areas'] loop
        execute format('drop policy if exists %I on %I', t || '_admin_all', t);
        execute format('create policy %I on %I for all to gql_admin using (api.has_role(''admin'')) '
                       'with check (api.has_role(''admin''))',
                       t || '_admin_all', t);
    end loop;
end
$$;

-- Audit partitions for the coming months, made whenever the code layer is rebuilt (the
-- server also does it at start-up).
select api_private.ensure_audit_partitions(3);
