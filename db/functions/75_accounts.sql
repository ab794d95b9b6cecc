-- Accounts: sign-up, sign-in and throttling. Passwords are hashed (Argon2id) by the server;
-- only hashes reach the database. These run as security definer because an anonymous
-- request must be able to create an account and look up a login.

-- An account as its owner sees it. The email address is sealed (gql/identity/data_key.py): the server
-- opens it; the database cannot.
create type api.account as (
    id uuid, email_sealed bytea, display_name text, avatar_url text, created_at timestamptz, roles text[],
    email_verified_at timestamptz
);

create function api_private.account_of(user_id uuid) returns api.account
language sql stable security definer set search_path = public, pg_temp as $$
    select u.id, u.email_sealed, u.display_name, u.avatar_url, u.created_at,
           coalesce(array(select r.role from user_roles r where r.user_id = u.id order by r.role), '{}'),
           u.email_verified_at
      from users u
     where u.id = account_of.user_id and u.deleted_at is null
$$;

-- email_lookup and email_sealed: the keyed hash and the ciphertext of the address. The new
-- account is signed in at once: its first session opens in the same transaction.
create function api.sign_up(email_lookup bytea, email_sealed bytea, password_hash text, display_name text,
                            refresh_hash bytea, device text)
returns table (account api.account, session sessions)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    new_id uuid;
begin
    insert into users (email_lookup, email_sealed, password_hash, display_name)
    values (email_lookup, email_sealed, password_hash, btrim(display_name))
    returning id into new_id;  -- a taken email fails on users_email_key
    return query select api_private.account_of(new_id), api_private.open_session(new_id, refresh_hash, device);
end
$$;

-- The account an email address belongs to (for a password reset), by its keyed hash.
create function api_private.user_by_email(lookup bytea) returns uuid
language sql stable security definer set search_path = public, pg_temp as $$
    select u.id from users u where u.email_lookup = lookup and u.deleted_at is null
$$;

-- Failed sign-ins tolerated per email and per client address in the throttle window.
create function api_private.login_limits() returns table (per_email integer, per_address integer, window_length interval)
language sql immutable parallel safe as $$ select 5, 20, interval '15 minutes' $$;

-- The account to check a password against (none for an unknown email), or throttled =
-- true when sign-ins for this email or from this address are being throttled: then the
-- attempt is recorded and no account is returned. (A flag, not an error, so that the
-- record survives.) Email and address come as keyed hashes, the address also sealed.
--
-- Racing attempts count each other: one decision at a time per email and per address (the
-- advisory locks, always taken in this order, so two attempts never wait on each other in a
-- cycle), and the attempt is recorded as failed before its password is checked; the server
-- turns it into a success afterwards (api_private.record_login). So 30 concurrent guesses for one
-- email get exactly per_email password checks. Called in autocommit: the record and the
-- locks end with this statement.
create function api_private.login_candidate(email_lookup bytea, address_lookup bytea, address_sealed bytea)
returns table (account api.account, password_hash text, throttled boolean, attempt bigint)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    limits record := api_private.login_limits();
    by_email bigint;
    by_address bigint;
    recorded bigint;
begin
    perform pg_advisory_xact_lock(hashtextextended('login email ' || encode(email_lookup, 'hex'), 0));
    perform pg_advisory_xact_lock(
        hashtextextended('login address ' || coalesce(encode(address_lookup, 'hex'), ''), 0));
    select count(*) into by_email from security_events e
     where e.kind = 'login_failed' and e.email_lookup = login_candidate.email_lookup
       and e.created_at > now() - limits.window_length;
    select count(*) into by_address from security_events e
     where e.kind = 'login_failed' and e.client_address_lookup = login_candidate.address_lookup
       and e.created_at > now() - limits.window_length;
    if by_email >= limits.per_email or by_address >= limits.per_address then
        insert into security_events (kind, email_lookup, client_address_lookup, client_address_sealed, details)
        values ('login_throttled', email_lookup, address_lookup, address_sealed,
                jsonb_build_object('failures_for_email', by_email, 'failures_from_address', by_address));
        return query select null::api.account, null::text, true, null::bigint;
        return;
    end if;
    insert into security_events (kind, email_lookup, client_address_lookup, client_address_sealed)
    values ('login_failed', email_lookup, address_lookup, address_sealed)
    returning id into recorded;
    return query
        select a.account, a.password_hash, false, recorded
          from (select 1) one
          left join (select api_private.account_of(u.id) as account, u.password_hash
                       from users u
                      where u.email_lookup = login_candidate.email_lookup
                        and u.deleted_at is null) a on true;
end
$$;

-- A sign-in attempt whose password was right: it no longer counts as a failure.
create function api_private.record_login(attempt bigint, user_id uuid) returns void
language sql volatile security definer set search_path = public, pg_temp as $$
    update security_events e set kind = 'login_succeeded', user_id = record_login.user_id
     where e.id = attempt and e.kind = 'login_failed'
$$;

-- The signed-in user's own account, e-mail and roles included. Security definer, so that
-- api_private.account_of (anyone's e-mail) stays private to the server.
create function api.me() returns setof api.account
language sql stable security definer set search_path = public, pg_temp as $$
    select * from api_private.account_of(api.current_user_id()) a where a.id is not null
$$;

-- What a token stands for now: whether its account still exists and its session (when the
-- token names one) is neither revoked nor expired, and the account's roles. Read by the
-- server for every request (briefly cached) and every open socket, so that a deleted account,
-- a signed-out session or a revoked role stops counting at once. Not for request roles.
create function api_private.account_state(account uuid, session_id uuid, out active boolean, out roles text[])
language sql stable security definer set search_path = public, pg_temp as $$
    select coalesce((select u.deleted_at is null from users u where u.id = account), false)
           and (session_id is null
                or exists (select 1 from sessions s where s.id = session_id and s.user_id = account
                                                      and s.revoked_at is null and s.expires_at > now())),
           array(select r.role from user_roles r where r.user_id = account order by r.role)
$$;
revoke execute on function api_private.account_state(uuid, uuid) from public;
