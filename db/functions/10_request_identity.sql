-- Who is asking: read from the transaction-local claims the server sets per request, and
-- the errors the write functions raise for the API to turn into UserErrors.

-- The claims as the server set them for the transaction (an API key's scopes and businesses
-- included). Read identity through api.claims(), which applies the read scope.
create function api.given_claims() returns jsonb
language sql stable parallel safe as $$
    select coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
$$;

-- May the caller read as its user? A user's own token may; an API key only with the 'read'
-- scope: without it a key reads what an anonymous caller reads.
create function api.key_may_read() returns boolean
language sql stable parallel safe as $$
    select not (api.given_claims() ? 'scopes') or (api.given_claims() -> 'scopes') ? 'read'
$$;

-- Who is asking, for everything that decides by identity (policies, read functions, the
-- checks of write functions): the given claims, or none ('{}', anonymous) for a key without
-- the read scope - except inside a write function, which runs with gql.writing on (a SET
-- clause of its own, undone when it returns) and so sees what it changes as its user. A
-- write's payload is then read outside it, as the key may read (api.shown).
create function api.claims() returns jsonb
language sql stable parallel safe as $$
    select case when api.key_may_read() or current_setting('gql.writing', true) = 'on'
                then api.given_claims() else '{}'::jsonb end
$$;

-- What a write's payload shows of the row it wrote (a business, a review): all of it to a
-- caller who reads as its user; to an API key without the read scope, what the public may
-- read of it (RLS, outside the write: gql.writing off here), else an empty row (null id).
create function api.shown(written anyelement) returns anyelement
language plpgsql volatile set gql.writing = 'off' as $$
declare
    written_id uuid := (to_jsonb(written) ->> 'id')::uuid;
begin
    if written_id is not null and not api.key_may_read() then
        execute format('select * from %s where id = $1', pg_typeof(written)) into written using written_id;
    end if;
    return written;
end
$$;

create function api.current_user_id() returns uuid
language sql stable parallel safe as $$
    select nullif(api.claims() ->> 'sub', '')::uuid
$$;

create function api.has_role(role_name text) returns boolean
language sql stable parallel safe as $$
    select coalesce(api.claims() -> 'roles' ? role_name, false)
$$;

-- Raise an error the API shows to the client as a UserError. The SQLSTATE carries the
-- code (GQ400 VALIDATION, GQ401 UNAUTHENTICATED, GQ403 FORBIDDEN, GQ404 NOT_FOUND,
-- GQ409 VERSION_CONFLICT, GQ419 CONFLICT, GQ429 RATE_LIMITED), COLUMN the input field, MESSAGE the text.
create function api.raise_user_error(sqlstate text, field text, message text) returns void
language plpgsql volatile as $$
begin
    raise exception using errcode = sqlstate, column = coalesce(field, ''), message = message;
end
$$;

create function api.require_user() returns uuid
language plpgsql stable as $$
declare
    me uuid := api.current_user_id();
begin
    if me is null and api.given_claims() ? 'sub' then  -- (an API key without the read scope)
        perform api.raise_user_error('GQ403', null, 'this API key lacks the read scope');
    elsif me is null then
        perform api.raise_user_error('GQ401', null, 'sign in first');
    end if;
    return me;
end
$$;

create function api.require_admin() returns uuid
language plpgsql stable as $$
declare
    me uuid := api.require_user();
begin
    if not api.has_role('admin') then
        perform api.raise_user_error('GQ403', null, 'only administrators may do this');
    end if;
    return me;
end
$$;

-- A signed-in user about to write. A request made with an API key (its claims carry the
-- key's scopes) writes only within them: 'write:business' (businesses, their people and
-- areas, categories) or 'write:review' (reviews, responses, votes, flags, moderation). Which
-- businesses a key may touch, api.manages_business says.
create function api.require_writer(scope text) returns uuid
language plpgsql stable as $$
declare
    me uuid := api.require_user();
begin
    if api.claims() ? 'scopes' and not (api.claims() -> 'scopes') ? scope then
        perform api.raise_user_error('GQ403', null, format('this API key lacks the %s scope', scope));
    end if;
    return me;
end
$$;

-- Moderators decide on reviews and see the queue; administrators may do all of it too.
create function api.require_moderator() returns uuid
language plpgsql stable as $$
declare
    me uuid := api.require_user();
begin
    if not (api.has_role('moderator') or api.has_role('admin')) then
        perform api.raise_user_error('GQ403', null, 'only moderators may do this');
    end if;
    return me;
end
$$;

-- Does the user run this business (own or manage it), whatever the key they use may reach?
-- For conflicts of interest: no one reviews or moderates what they run.
create function api.runs_business(business_id uuid) returns boolean
language sql stable security definer set search_path = public, pg_temp as $$
    select exists (select 1 from businesses b where b.id = business_id and b.owner_id = api.current_user_id())
        or exists (select 1 from business_managers m
                    where m.business_id = runs_business.business_id and m.user_id = api.current_user_id())
$$;

-- An API key that names businesses acts for those only (a user's own token: for all of theirs).
create function api.key_reaches(business_id uuid) returns boolean
language sql stable as $$
    select not (api.claims() ? 'businesses') or (api.claims() -> 'businesses') ? business_id::text
$$;

-- Ownership checks read past RLS (security definer), so policies can use them without
-- recursing into the policies of the tables they read.
create function api.owns_business(business_id uuid) returns boolean
language sql stable security definer set search_path = public, pg_temp as $$
    select exists (select 1 from businesses b
                    where b.id = business_id and b.owner_id = api.current_user_id())
       and api.key_reaches(business_id)
$$;

create function api.manages_business(business_id uuid) returns boolean
language sql stable security definer set search_path = public, pg_temp as $$
    select api.owns_business(business_id)
        or (exists (select 1 from business_managers m
                     where m.business_id = manages_business.business_id
                       and m.user_id = api.current_user_id())
            and api.key_reaches(business_id))
$$;

-- Is this an API request (the server switched to a request role for the transaction)?
-- Read from the role setting, which a security-definer function does not change.
create function api_private.in_request() returns boolean
language sql stable as $$
    select current_setting('role') in ('gql_anonymous', 'gql_user', 'gql_admin')
$$;

-- Edits made from one version merge: an update from `expected_version` is refused (GQ409,
-- naming the columns) only when a column it sets (or one coupled with it) was changed after
-- that version, by anyone
-- (api_private.touch_versioned keeps field_versions). Locks the row, so that two edits of one
-- row are checked one after the other. A row the caller may not change is left for the
-- update to explain.
create function api.check_mergeable(tbl regclass, row_id uuid, expected_version integer, patch jsonb)
returns void
language plpgsql volatile as $$
declare
    current_version integer;
    changed jsonb;
    clashing text[];
begin
    execute format('select version, field_versions from %s where id = $1 and deleted_at is null for update', tbl)
       into current_version, changed using row_id;
    if current_version is null or current_version = expected_version then
        return;
    end if;
    if expected_version not between 1 and current_version then
        perform api.raise_user_error('GQ400', 'expectedVersion',
                                     format('there is no version %s; the current one is %s', expected_version,
                                            current_version));
    end if;
    -- Columns that only make sense together (a place: its coordinates and address; opening
    -- hours: their time zone) merge as one: an edit of one conflicts with a change of another.
    clashing := array(
        with coupled(members) as (values
            (array['latitude', 'longitude', 'address_line1', 'address_line2', 'city', 'state', 'zip_code',
                   'country']),
            (array['timezone', 'hours', 'special_hours']))
        select c from jsonb_object_keys(patch) c
         where (select max(coalesce((changed ->> g)::integer, (changed ->> '*')::integer, current_version))
                  from unnest(coalesce((select k.members from coupled k where c = any(k.members)), array[c])) g)
               > expected_version
         order by c);
    if cardinality(clashing) > 0 then
        perform api.raise_user_error('GQ409', array_to_string(clashing, ','),
                                     format('changed by someone else since version %s; here is the current one',
                                            expected_version));
    end if;
end
$$;