-- Which functions request roles may execute: the callable API listed here, and what the
-- database itself then evaluates under the request's role, found by following the code: the
-- api functions named in row-level policies and column defaults, and those called by a
-- granted function that runs as its caller (SECURITY INVOKER), transitively. Everything else
-- in `api` is for the server's own role only, and the internals live in `api_private`, a
-- schema request roles have no usage of. Revoked from PUBLIC first, so a new function is
-- private until it is listed or reached. (Triggers fire without EXECUTE on their function, and
-- a SECURITY DEFINER body runs as its owner, so neither needs more.)
revoke execute on all functions in schema api, api_private from public;
alter default privileges in schema api, api_private revoke execute on functions from public;

do $$
declare
    callable text[] := array[
        -- resolvers and loaders
        'analytics_now', 'autocomplete', 'bearing_degrees', 'business_analytics', 'business_count',
        'business_page', 'businesses_by_id', 'businesses_by_slug', 'businesses_serving',
        'categories_by_id', 'categories_by_slug', 'category_children', 'category_roots',
        'create_business', 'create_category', 'create_review', 'delete_business', 'delete_review',
        'flag_review', 'is_open_now', 'me', 'moderate_review', 'nearby_businesses', 'nearby_count',
        'moderation_queue', 'my_sessions', 'my_businesses', 'managers_of', 'invite_manager',
        'accept_manager_invitation', 'remove_manager', 'claim_business', 'decide_business_claim',
        'business_claims', 'revoke_manager_invitation', 'create_api_key', 'my_api_keys', 'revoke_api_key',
        'create_webhook', 'my_webhooks', 'set_webhook_state', 'webhook_deliveries',
        'operations_report', 'platform_stats', 'record_business_click', 'record_business_view', 'respond_to_review',
        'responses_by_id', 'responses_by_review', 'review_pages', 'reviews_by_id',
        'search_businesses', 'search_count', 'service_areas_of', 'set_business_status',
        'set_service_areas', 'sign_up', 'spelling_suggestion', 'update_business', 'update_category',
        'update_review', 'user_profiles', 'vote_review',
        -- compiled reads (gql/compiled)
        'is_open_at', 'iso_timestamp', 'page_cursor', 'change_positions', 'own_change_client_id'];
    reached text[];
    walked text[];
    name text;
    fn regprocedure;
    found_one boolean;
begin
    -- What policies and column defaults evaluate as the request's role.
    callable := callable || array(
        select distinct m[1] from pg_policies pol,
               regexp_matches(coalesce(pol.qual, '') || ' ' || coalesce(pol.with_check, ''),
                              'api\.([a-z_0-9]+)\(', 'g') m
         where pol.schemaname = 'public'
        union
        select distinct m[1] from pg_attrdef d,
               regexp_matches(pg_get_expr(d.adbin, d.adrelid), 'api\.([a-z_0-9]+)\(', 'g') m);
    -- What the granted functions and the trigger functions, when they run as their caller,
    -- call in turn, transitively (the trigger functions themselves need no grant).
    walked := callable || array(
        select p.proname::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname in ('api', 'api_private') and p.prorettype = 'trigger'::regtype
           and not p.prosecdef);
    loop
        reached := array(
            select distinct m[1] from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
                   regexp_matches(p.prosrc, 'api\.([a-z_0-9]+)\s*\(', 'g') m
             where n.nspname in ('api', 'api_private') and p.proname = any(walked) and not p.prosecdef
               and m[1] <> all(walked)
               and exists (select 1 from pg_proc q join pg_namespace qn on qn.oid = q.pronamespace
                            where qn.nspname = 'api' and q.proname = m[1]));
        exit when cardinality(reached) = 0;
        walked := walked || reached;
        callable := callable || reached;
    end loop;
    -- Whatever runs as a request's role cannot look into api_private (no usage there).
    for fn in select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
               where n.nspname in ('api', 'api_private') and p.proname = any(walked) and not p.prosecdef
                 and p.prosrc ~ 'api_private\.' loop
        raise exception '% runs as the request''s role but calls into api_private', fn;
    end loop;
    foreach name in array callable loop
        found_one := false;
        for fn in select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                   where n.nspname = 'api' and p.proname = name loop
            execute format('grant execute on function %s to gql_anonymous, gql_user, gql_admin', fn);
            found_one := true;
        end loop;
        if not found_one then
            raise exception 'api.% is granted to request roles but does not exist', name;
        end if;
    end loop;
end
$$;
