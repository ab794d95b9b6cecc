-- API keys (migration 0023): made, listed and revoked by their user through api.*; resolved
-- by the server (api_private.key_identity) into the identity a request runs as.

-- A user (signed in as themselves, not with a key) makes a key; the server made the secret
-- and passes its hash and display prefix. Businesses named must be ones the user runs.
create function api.create_api_key(name text, scopes text[], business_ids uuid[], expires_at timestamptz,
                                   secret_hash bytea, prefix text) returns api_keys
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_user();
    made api_keys;
begin
    if api.claims() ? 'key' then
        perform api.raise_user_error('GQ403', null, 'an API key cannot make keys: sign in as the user');
    end if;
    if expires_at is not null and expires_at <= now() then
        perform api.raise_user_error('GQ400', 'expiresAt', 'expiresAt must be in the future');
    end if;
    if cardinality(business_ids) not between 1 and 100 then
        perform api.raise_user_error('GQ400', 'businessIds',
                                     'businessIds must name 1 to 100 businesses (leave it out for all of yours)');
    end if;
    if exists (select 1 from unnest(business_ids) b where not api.manages_business(b)) then
        perform api.raise_user_error('GQ403', 'businessIds', 'a key can act only for businesses you run');
    end if;
    if (select count(*) from api_keys k where k.user_id = me and k.revoked_at is null) >= 50 then
        perform api.raise_user_error('GQ429', null, 'at most 50 keys per account: revoke some first');
    end if;
    insert into api_keys (user_id, name, prefix, secret_hash, scopes, business_ids, expires_at)
    values (me, btrim(name), prefix, secret_hash, array(select distinct s from unnest(scopes) s order by s),
            business_ids, expires_at)
    returning * into made;
    return made;
end
$$;

-- The user's keys; a key limited to businesses sees itself only (the others would tell the
-- user's other businesses).
create function api.my_api_keys() returns setof api_keys
language sql stable security definer set search_path = public, pg_temp as $$
    select * from api_keys k
     where k.user_id = api.current_user_id()
       and (not api.claims() ? 'businesses' or k.id = (api.claims() ->> 'key')::uuid)
     order by k.created_at desc limit 100
$$;

create function api.revoke_api_key(key_id uuid) returns api_keys
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    revoked api_keys;
begin
    perform api.require_user();
    if api.claims() ? 'key' then
        perform api.raise_user_error('GQ403', null, 'an API key cannot revoke keys: sign in as the user');
    end if;
    update api_keys k set revoked_at = coalesce(k.revoked_at, now())
     where k.id = key_id and (k.user_id = api.current_user_id() or api.has_role('admin'))
    returning * into revoked;
    if not found then
        perform api.raise_user_error('GQ404', 'id', 'no such key');
    end if;
    -- Its webhooks stop with it.
    update webhook_subscriptions w set status = 'paused', paused_reason = 'its API key was revoked'
     where w.api_key_id = key_id and w.status = 'active';
    return revoked;
end
$$;

-- The identity a key stands for now (its user's roles included), or why it is refused; and
-- the requests counted since this process last asked (`uses`) are added to its usage.
create function api_private.key_identity(secret_hash bytea, uses integer,
                                         out key_id uuid, out user_id uuid, out roles text[],
                                         out scopes text[], out business_ids uuid[], out expires_at timestamptz,
                                         out refused text)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    k api_keys;
begin
    select * into k from api_keys a where a.secret_hash = key_identity.secret_hash;
    if not found then
        refused := 'the API key is not valid';
        return;
    end if;
    if uses > 0 then
        update api_keys a set request_count = a.request_count + uses, last_used_at = now() where a.id = k.id;
    end if;
    if k.revoked_at is not null then
        refused := 'the API key has been revoked';
    elsif k.expires_at is not null and k.expires_at <= now() then
        refused := 'the API key has expired';
    elsif not exists (select 1 from users u where u.id = k.user_id and u.deleted_at is null) then
        refused := 'the account no longer exists';
    end if;
    key_id := k.id;
    user_id := k.user_id;
    -- A key for some businesses acts as an owner or manager of those, never as an administrator
    -- or moderator (their powers reach every business).
    roles := case when k.business_ids is null
                  then array(select r.role from user_roles r where r.user_id = k.user_id order by r.role)
                  else '{}' end;
    scopes := k.scopes;
    business_ids := k.business_ids;
    expires_at := k.expires_at;  -- (a server caching the identity refuses it from then on)
end
$$;
