-- What RLS cannot say: which columns a signed-in user may change, and how. These guards
-- apply to statements running as gql_user; admins, migrations and the counter triggers
-- (security definer, running as the tables' owner) pass through.

create function api_private.businesses_guard() returns trigger
language plpgsql as $$
begin
    if current_user <> 'gql_user' then
        return new;
    end if;
    if tg_op = 'INSERT' then
        if new.status not in ('draft', 'active') then
            perform api.raise_user_error('GQ403', 'status', 'a new business is a draft or active');
        end if;
        new.rating_counts := '{0,0,0,0,0}'; new.review_count := 0; new.rating_avg := 0;
        new.verification_status := 'pending'; new.verified_at := null;
        new.subscription_tier := 'free'; new.quality_score := 0; new.version := 1;
        new.published_at := case when new.status = 'active' then now() end;
        new.created_at := now(); new.updated_at := now();
        return new;
    end if;
    if (new.owner_id, new.verification_status, new.verified_at, new.subscription_tier, new.quality_score,
        new.created_at)
       is distinct from
       (old.owner_id, old.verification_status, old.verified_at, old.subscription_tier, old.quality_score,
        old.created_at) then
        perform api.raise_user_error('GQ403', null, 'only administrators may change this');
    end if;
    if (new.status, new.deleted_at) is distinct from (old.status, old.deleted_at) then
        if not api.owns_business(old.id) then
            perform api.raise_user_error('GQ403', 'status', 'only the owner may publish, unpublish or delete a business');
        end if;
        if new.status is distinct from old.status and 'suspended' in (new.status, old.status) then
            perform api.raise_user_error('GQ403', 'status', 'only administrators suspend or reinstate a business');
        end if;
        if new.status = 'active' and old.published_at is null then
            new.published_at := now();
        end if;
    end if;
    return new;
end
$$;

create trigger businesses_guard before insert or update on businesses
    for each row execute function api_private.businesses_guard();

-- Does the text carry a link? Such reviews wait for a moderator.
-- Does the text carry a link: a URL, a www. name, or a bare domain under a common top-level
-- domain (cheap-pills-shop.com)? Compared after NFKC, so full-width or other look-alike
-- forms (ｗｗｗ．ｓｐａｍ．ｃｏｍ) count as what they look like.
create function api.has_link(content text) returns boolean
language sql immutable parallel safe as $$
    select normalize(coalesce(content, ''), NFKC)
           ~* '(https?://|www\.[a-z0-9-]+\.[a-z]|\m[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*\.(com|net|org|info|biz|io|co|me|us|uk|ru|cn|de|fr|xyz|top|shop|store|online|site|app|club|live|ly|to|tv|cc|ws|pw|link|click)\M)'
$$;

-- How long after writing it an author may still change a review.
create function api.review_edit_window() returns interval
language sql immutable parallel safe as $$ select interval '30 days' $$;

create function api_private.business_reviews_guard() returns trigger
language plpgsql as $$
begin
    if current_user <> 'gql_user' then
        return new;
    end if;
    if tg_op = 'INSERT' then
        new.helpful_count := 0; new.not_helpful_count := 0; new.flag_count := 0; new.version := 1;
        new.moderation_notes := null; new.created_at := now(); new.updated_at := now();
        new.published_at := case when new.status = 'published' then now() end;
        return new;
    end if;
    if (new.business_id, new.author_id, new.status, new.moderation_notes, new.published_at, new.created_at)
       is distinct from
       (old.business_id, old.author_id, old.status, old.moderation_notes, old.published_at, old.created_at) then
        perform api.raise_user_error('GQ403', null, 'only moderators may change this');
    end if;
    if (new.rating, new.title, new.content, new.visit_date)
       is distinct from (old.rating, old.title, old.content, old.visit_date) then
        if old.created_at < now() - api.review_edit_window() then
            perform api.raise_user_error('GQ403', 'id', 'a review can be edited for 30 days after it is written');
        end if;
        new.edited_at := now();
        if api.has_link(new.content) and not api.has_link(old.content) and new.status = 'published' then
            new.status := 'pending';
            new.moderation_notes := 'a link was added: waiting for a moderator';
        end if;
    end if;
    return new;
end
$$;

create trigger business_reviews_guard before insert or update on business_reviews
    for each row execute function api_private.business_reviews_guard();

-- A response belongs to the business of the review it answers.
create function api_private.review_responses_set_business() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    select business_id into new.business_id from business_reviews where id = new.review_id;
    return new;
end
$$;

create trigger review_responses_set_business before insert or update of review_id on review_responses
    for each row execute function api_private.review_responses_set_business();

------------------------------------------------------------------------------------------
-- Flags: enough of them hide a published review until a moderator decides. Every flag is
-- counted (flag_count, for moderators), but only established accounts' flags weigh towards
-- hiding: a fresh account weighs nothing, so a few throwaway sign-ups cannot hide a review;
-- a moderator's or admin's flag hides it at once.

create function api_private.review_flag_threshold() returns integer
language sql immutable parallel safe as $$ select 3 $$;

-- How old an account must be before its flags weigh.
create function api_private.flag_weight_age() returns interval
language sql immutable parallel safe as $$ select interval '7 days' $$;

-- A flag's weight: a moderator's or administrator's hides at once - when it was made with
-- those powers (review_flags.by_moderator, from the request's claims: a key limited to
-- businesses carries none), never by looking the flagger up in user_roles.
create function api_private.flag_weight(flagger uuid, by_moderator boolean) returns integer
language sql stable security definer set search_path = public, pg_temp as $$
    select case
        when by_moderator then api_private.review_flag_threshold()
        when exists (select 1 from users u where u.id = flagger
                                             and u.created_at <= now() - api_private.flag_weight_age())
            then 1
        else 0
    end
$$;

-- Whether a new flag carries moderator powers is the claims' to say, not the inserter's.
-- (Outside a request - maintenance, tests - the row says.)
create function api_private.review_flags_powers() returns trigger
language plpgsql as $$
begin
    if current_user in ('gql_anonymous', 'gql_user', 'gql_admin') then
        new.by_moderator := new.user_id = api.current_user_id()
                            and (api.has_role('moderator') or api.has_role('admin'));
    end if;
    return new;
end
$$;

create trigger review_flags_powers before insert on review_flags
    for each row execute function api_private.review_flags_powers();

create function api_private.review_flags_count() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    weight bigint;
begin
    -- The row lock taken here orders racing flags of one review, and the sum after it sees
    -- every flag committed before (a new snapshot per statement).
    update business_reviews set flag_count = flag_count + 1 where id = new.review_id;
    if api_private.flag_weight(new.user_id, new.by_moderator) = 0 then
        return null;
    end if;
    -- The flags since a moderator last decided: publishing resets flag_count to 0, so they
    -- are the newest flag_count ones.
    select sum(api_private.flag_weight(f.user_id, f.by_moderator)) into weight
      from (select g.user_id, g.by_moderator from review_flags g where g.review_id = new.review_id
             order by g.created_at desc, g.user_id
             limit (select r.flag_count from business_reviews r where r.id = new.review_id)) f;
    update business_reviews
       set status = 'pending', moderation_notes = 'hidden after flags weighing ' || weight
     where id = new.review_id and status = 'published' and weight >= api_private.review_flag_threshold();
    return null;
end
$$;

create trigger review_flags_count after insert on review_flags
    for each row execute function api_private.review_flags_count();

------------------------------------------------------------------------------------------
-- Audit log: one row per insert, update or delete, with the acting user from the claims.
-- A maintenance session (not a request role) may turn it off for bulk loads with
-- set_config('gql.bulk_load', 'on', true); requests cannot.

create function api_private.audit_row() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    -- Derived search columns are left out: large, and recomputed from what is recorded.
    old_values jsonb := case when tg_op in ('UPDATE', 'DELETE')
                             then to_jsonb(old) - api_private.derived_columns() end;
    new_values jsonb := case when tg_op in ('INSERT', 'UPDATE')
                             then to_jsonb(new) - api_private.derived_columns() end;
    changed text[];
begin
    if current_setting('gql.bulk_load', true) = 'on' and not api_private.in_request() then
        return null;
    end if;
    if tg_op = 'UPDATE' then
        select array_agg(key order by key) into changed
          from jsonb_each(new_values) n
         where n.value is distinct from old_values -> n.key;
        if changed is null or changed <@ array['updated_at'] then
            return null;  -- nothing changed
        end if;
    end if;
    insert into audit_logs (table_name, record_id, action, user_id, old_values, new_values, changed_fields)
    values (tg_table_name, (coalesce(new_values, old_values) ->> 'id')::uuid, tg_op, api.current_user_id(),
            old_values, new_values, changed);
    return null;
end
$$;

create trigger businesses_audit after insert or update or delete on businesses
    for each row execute function api_private.audit_row();
create trigger business_reviews_audit after insert or update or delete on business_reviews
    for each row execute function api_private.audit_row();
create trigger review_responses_audit after insert or update or delete on review_responses
    for each row execute function api_private.audit_row();
create trigger categories_audit after insert or update or delete on categories
    for each row execute function api_private.audit_row();

-- Monthly partitions of audit_logs from this month to `months_ahead` months on. A month
-- whose rows already went to the default partition keeps them there.
create function api_private.ensure_audit_partitions(months_ahead integer default 3) returns integer
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    month_start date;
    made integer := 0;
    partition_name text;
begin
    for i in 0..months_ahead loop
        month_start := (date_trunc('month', now()) + make_interval(months => i))::date;
        partition_name := 'audit_logs_' || to_char(month_start, 'YYYY_MM');
        continue when to_regclass(partition_name) is not null;
        continue when exists (select 1 from audit_logs_default
                               where created_at >= month_start
                                 and created_at < month_start + interval '1 month');
        execute format('create table %I partition of audit_logs for values from (%L) to (%L)',
                       partition_name, month_start, (month_start + interval '1 month')::date);
        made := made + 1;
    end loop;
    return made;
end
$$;
