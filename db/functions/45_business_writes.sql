-- Writing businesses. These functions run as the caller (security invoker), so RLS and
-- the guard triggers decide; they add the checks that make failures explainable.

create function api.slugify(text_in text) returns text
language sql immutable parallel safe as $$
    select coalesce(nullif(left(trim(both '-' from
        regexp_replace(lower(public.unaccent(text_in)), '[^a-z0-9]+', '-', 'g')), 200), ''), 'business')
$$;

-- A free slug for a new business: name and city, then -2, -3, ... (reads past RLS, since a
-- hidden business still holds its slug).
create function api.new_business_slug(name text, city text) returns text
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    base text := api.slugify(name || ' ' || coalesce(city, ''));
    candidate text := base;
    n integer := 1;
begin
    while exists (select 1 from businesses where slug = candidate) loop
        n := n + 1;
        candidate := left(base, 200) || '-' || n;
    end loop;
    return candidate;
end
$$;

-- Opening hours must be {"mon": [["09:00", "17:00"], ...], ...}; special hours are keyed by
-- date. Returns what is wrong, or null.
create function api.hours_problem(hours jsonb, keyed_by_date boolean) returns text
language plpgsql immutable as $$
declare
    day record;
    iv jsonb;
begin
    if jsonb_typeof(hours) <> 'object' then
        return 'must be an object';
    end if;
    for day in select key, value from jsonb_each(hours) loop
        if keyed_by_date then
            if day.key !~ '^\d{4}-\d{2}-\d{2}$' then
                return format('%s is not a date (YYYY-MM-DD)', left(day.key, 20));
            end if;
            begin
                perform day.key::date;
            exception when others then
                return format('%s is not a date (YYYY-MM-DD)', left(day.key, 20));
            end;
        elsif day.key not in ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun') then
            return format('%s is not a day (mon..sun)', left(day.key, 20));
        end if;
        if jsonb_typeof(day.value) <> 'array' or jsonb_array_length(day.value) > 6 then
            return format('%s must list at most 6 intervals', day.key);
        end if;
        for iv in select * from jsonb_array_elements(day.value) loop
            if jsonb_typeof(iv) <> 'array' or jsonb_array_length(iv) <> 2
               or (iv ->> 0) !~ '^([01]\d|2[0-3]):[0-5]\d$'
               or (iv ->> 1) !~ '^(([01]\d|2[0-3]):[0-5]\d|24:00)$' then
                return format('%s: intervals are ["HH:MM", "HH:MM"]', day.key);
            end if;
        end loop;
    end loop;
    return null;
end
$$;

create function api_private.businesses_check_hours() returns trigger
language plpgsql as $$
declare
    problem text;
begin
    problem := api.hours_problem(new.hours, false);
    if problem is not null then
        perform api.raise_user_error('GQ400', 'hours', 'hours: ' || problem);
    end if;
    problem := api.hours_problem(new.special_hours, true);
    if problem is not null then
        perform api.raise_user_error('GQ400', 'specialHours', 'specialHours: ' || problem);
    end if;
    return new;
end
$$;

create trigger businesses_check_hours before insert or update of hours, special_hours on businesses
    for each row execute function api_private.businesses_check_hours();

-- Secondary categories: each once (the primary is not one of them), at most
-- MAX_SECONDARY_CATEGORIES, all of them categories that exist.
create function api_private.businesses_check_categories() returns trigger
language plpgsql as $$
declare
    max_secondary constant integer := 10;
    unknown uuid;
begin
    new.secondary_category_ids := array(
        select c from unnest(new.secondary_category_ids) with ordinality as s(c, n)
         where c is distinct from new.primary_category_id
         group by c order by min(n));
    if cardinality(new.secondary_category_ids) > max_secondary then
        perform api.raise_user_error('GQ400', 'secondaryCategoryIds',
                                     format('at most %s secondary categories', max_secondary));
    end if;
    select c into unknown from unnest(new.secondary_category_ids) c
     where not exists (select 1 from categories k where k.id = c) limit 1;
    if unknown is not null then
        perform api.raise_user_error('GQ400', 'secondaryCategoryIds', format('no such category: %s', unknown));
    end if;
    return new;
end
$$;

create trigger businesses_check_categories
    before insert or update of primary_category_id, secondary_category_ids on businesses
    for each row execute function api_private.businesses_check_categories();

-- Idempotency: claim `key` for this user and operation. Returns the id the first call
-- created when the key was used before, or null when this call is the first (a concurrent
-- first call holding the key makes this one wait for it).
create function api.claim_idempotency_key(key text, operation text) returns uuid
language plpgsql volatile as $$
declare
    me uuid := api.require_user();
    used record;
begin
    if key is null then
        return null;
    end if;
    insert into idempotency_keys (user_id, key, operation) values (me, key, operation)
        on conflict do nothing;
    if found then
        return null;
    end if;
    select k.operation, k.result_id into used from idempotency_keys k
     where k.user_id = me and k.key = claim_idempotency_key.key;
    if used.operation <> operation then
        perform api.raise_user_error('GQ400', 'idempotencyKey',
                                     'this key was already used for ' || used.operation);
    end if;
    return used.result_id;
end
$$;

create function api.settle_idempotency_key(key text, result_id uuid) returns void
language sql volatile as $$
    update idempotency_keys k set result_id = settle_idempotency_key.result_id
     where k.user_id = api.current_user_id() and k.key = settle_idempotency_key.key
$$;

-- Why a business the caller wanted to change was not changed: not there (for them), or
-- not theirs. Raises; returns only when the business is theirs to change.
create function api.check_business_editable(business_id uuid) returns void
language plpgsql stable as $$
begin
    if not exists (select 1 from businesses b where b.id = business_id and b.deleted_at is null) then
        perform api.raise_user_error('GQ404', 'id', 'no such business');
    end if;
    if not (api.manages_business(business_id) or api.has_role('admin')) then
        perform api.raise_user_error('GQ403', 'id', 'only the owner or a manager may change this business');
    end if;
end
$$;

-- input: the columns to set, as JSON with column names as keys.
create function api.create_business(input jsonb, publish boolean, idempotency_key text)
returns businesses
language plpgsql volatile
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('write:business');
    earlier uuid := api.claim_idempotency_key(idempotency_key, 'createBusiness');
    result businesses;
begin
    if earlier is not null then
        select * into result from businesses where id = earlier;
        return api.shown(result);
    end if;
    if api.claims() ? 'businesses' then  -- (a key for some businesses acts for those only)
        perform api.raise_user_error('GQ403', null, 'this API key acts for some businesses only');
    end if;
    insert into businesses (
        slug, name, legal_name, description, short_description, primary_category_id,
        secondary_category_ids, tags, phone, email, website, address_line1, address_line2, city,
        state, zip_code, country, latitude, longitude, service_radius_meters, timezone, hours,
        special_hours, logo_url, cover_url, price_level, attributes, social_links, photos, owner_id,
        status)
    select coalesce(nullif(btrim(r.slug), ''), api.new_business_slug(r.name, r.city)),
           btrim(r.name), r.legal_name, r.description, r.short_description, r.primary_category_id,
           coalesce(r.secondary_category_ids, '{}'), coalesce(r.tags, '{}'), r.phone, r.email,
           r.website, r.address_line1, r.address_line2, btrim(r.city), btrim(r.state), r.zip_code,
           coalesce(r.country, 'US'), r.latitude, r.longitude, r.service_radius_meters,
           coalesce(r.timezone, 'America/New_York'), coalesce(r.hours, '{}'),
           coalesce(r.special_hours, '{}'), r.logo_url, r.cover_url, r.price_level,
           coalesce(r.attributes, '{}'), coalesce(r.social_links, '{}'), coalesce(r.photos, '[]'), me,
           case when publish then 'active' else 'draft' end
      from jsonb_populate_record(null::businesses, input) r
    returning * into result;
    perform api.settle_idempotency_key(idempotency_key, result.id);
    return api.shown(result);
end
$$;

-- patch: the columns to change, as JSON; absent keys keep their value.
create function api.update_business(business_id uuid, expected_version integer, patch jsonb)
returns businesses
language plpgsql volatile
    set gql.writing = 'on' as $$
declare
    result businesses;
begin
    perform api.require_writer('write:business');
    perform api.check_mergeable('businesses', business_id, expected_version, patch);
    update businesses b
       set (slug, name, legal_name, description, short_description, primary_category_id,
            secondary_category_ids, tags, phone, email, website, address_line1, address_line2,
            city, state, zip_code, country, latitude, longitude, service_radius_meters, timezone,
            hours, special_hours, logo_url, cover_url, price_level, attributes, social_links, photos) =
           (select btrim(r.slug), btrim(r.name), r.legal_name, r.description, r.short_description,
                   r.primary_category_id, coalesce(r.secondary_category_ids, '{}'),
                   coalesce(r.tags, '{}'), r.phone, r.email, r.website, r.address_line1,
                   r.address_line2, btrim(r.city), btrim(r.state), r.zip_code, r.country,
                   r.latitude, r.longitude, r.service_radius_meters, r.timezone,
                   coalesce(r.hours, '{}'), coalesce(r.special_hours, '{}'), r.logo_url, r.cover_url,
                   r.price_level, coalesce(r.attributes, '{}'), coalesce(r.social_links, '{}'),
                   coalesce(r.photos, '[]')
              from jsonb_populate_record(b, patch) r)
     where b.id = business_id and b.deleted_at is null
    returning b.* into result;
    if not found then
        perform api.check_business_editable(business_id);
        perform api.raise_user_error('GQ404', 'id', 'no such business');
    end if;
    return api.shown(result);
end
$$;

create function api.set_business_status(business_id uuid, new_status text, reason text)
returns businesses
language plpgsql volatile
    set gql.writing = 'on' as $$
declare
    result businesses;
begin
    perform api.require_writer('write:business');
    perform api.check_business_editable(business_id);
    update businesses b
       set status = new_status,
           suspended_at = case when new_status = 'suspended' then now() end,
           suspension_reason = case when new_status = 'suspended' then reason end
     where b.id = business_id
    returning b.* into result;
    return api.shown(result);
end
$$;

-- Soft delete. Security definer because a deleted row is visible to no request role, and
-- PostgreSQL refuses an UPDATE whose new row the updater could not see; the owner (or an
-- administrator) check is therefore made here, explicitly.
create function api.delete_business(business_id uuid) returns uuid
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
begin
    perform api.require_writer('write:business');
    if not exists (select 1 from businesses b where b.id = business_id and b.deleted_at is null
                     and (b.status = 'active' or api.manages_business(b.id) or api.has_role('admin'))) then
        perform api.raise_user_error('GQ404', 'id', 'no such business');
    end if;
    if not (api.owns_business(business_id) or api.has_role('admin')) then
        perform api.raise_user_error('GQ403', 'id', 'only the owner may delete a business');
    end if;
    update businesses b set deleted_at = now() where b.id = business_id;
    return business_id;
end
$$;
