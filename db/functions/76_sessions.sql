-- Sessions, refresh tokens and one-time account tokens (tables: migration 0020). Tokens are
-- made by the server and only their SHA-256 reaches the database. These are the server's own
-- (api_private, security definer); request roles reach their own sessions through api.* below.

-- How long a session lasts without being refreshed, and a one-time token without being used.
create function api_private.session_lifetime() returns interval
language sql immutable parallel safe as $$ select interval '30 days' $$;

create function api_private.account_token_lifetime(purpose text) returns interval
language sql immutable parallel safe as $$
    select case purpose when 'password_reset' then interval '1 hour' else interval '2 days' end
$$;

-- A new session for a device that signed in, with its first refresh token.
create function api_private.open_session(account uuid, token_hash bytea, device text) returns sessions
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    opened sessions;
begin
    insert into sessions (user_id, expires_at, device)
    values (account, now() + api_private.session_lifetime(), left(device, 200))
    returning * into opened;
    insert into refresh_tokens (token_hash, session_id) values (token_hash, opened.id);
    return opened;
end
$$;

-- A refresh: the presented token is spent and `next_hash` takes its place. Outcomes: 'ok'
-- (the session, slid forward), 'unknown', 'expired', 'revoked', or 'reused' - a token spent
-- before is presented again (a copy was taken, or a retry raced): the session is revoked,
-- so that neither holder of the family can go on.
create function api_private.refresh_session(token_hash bytea, next_hash bytea,
                                            out outcome text, out session sessions)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    presented refresh_tokens;
begin
    select * into presented from refresh_tokens t where t.token_hash = refresh_session.token_hash for update;
    if not found then
        outcome := 'unknown';
        return;
    end if;
    select * into session from sessions s where s.id = presented.session_id for update;
    if session.revoked_at is not null then
        outcome := 'revoked';
    elsif presented.rotated_at is not null then
        update sessions s set revoked_at = now(), revoked_reason = 'a spent refresh token was used again'
         where s.id = session.id returning * into session;
        outcome := 'reused';
    elsif session.expires_at <= now() then
        outcome := 'expired';
    else
        update refresh_tokens t set rotated_at = now() where t.token_hash = presented.token_hash;
        insert into refresh_tokens (token_hash, session_id) values (next_hash, session.id);
        update sessions s set last_used_at = now(),
                              expires_at = least(now() + api_private.session_lifetime(), s.created_at + interval '90 days')
         where s.id = session.id returning * into session;
        outcome := 'ok';
    end if;
end
$$;

-- Sign out: one session (of its user), or every session of the user (session_id null).
create function api_private.revoke_sessions(account uuid, session_id uuid, reason text) returns integer
language sql volatile security definer set search_path = public, pg_temp as $$
    with revoked as (
        update sessions s set revoked_at = now(), revoked_reason = reason
         where s.user_id = account and s.revoked_at is null
           and (revoke_sessions.session_id is null or s.id = revoke_sessions.session_id)
        returning 1)
    select count(*)::integer from revoked
$$;

-- A one-time token (password reset, email verification) and the message that carries it to
-- the account's address (sealed by the server). At most three of a purpose an hour per
-- account: beyond that nothing is made, and the caller is told nothing different.
create function api_private.issue_account_token(account uuid, purpose text, token_hash bytea,
                                                subject text, body_sealed bytea) returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    recipient bytea;
begin
    select u.email_sealed into recipient from users u where u.id = account and u.deleted_at is null;
    if recipient is null or (select count(*) from account_tokens t
                              where t.user_id = account and t.purpose = issue_account_token.purpose
                                and t.created_at > now() - interval '1 hour') >= 3 then
        return false;
    end if;
    insert into account_tokens (token_hash, user_id, purpose, expires_at)
    values (token_hash, account, purpose, now() + api_private.account_token_lifetime(purpose));
    insert into outbox_messages (kind, user_id, recipient_sealed, subject, body_sealed)
    values (purpose, account, recipient, subject, body_sealed);
    return true;
end
$$;

-- Is this one-time code good (unknown, used, expired: the same error as using it)? Checked
-- before the server spends time hashing a new password for it.
create function api_private.check_account_token(token_hash bytea, purpose text) returns void
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    found_token account_tokens;
begin
    select * into found_token from account_tokens t
     where t.token_hash = check_account_token.token_hash and t.purpose = check_account_token.purpose;
    if not found then
        perform api.raise_user_error('GQ400', 'token', 'the token is not valid');
    elsif found_token.used_at is not null then
        perform api.raise_user_error('GQ400', 'token', 'the token has been used already');
    elsif found_token.expires_at <= now() then
        perform api.raise_user_error('GQ400', 'token', 'the token has expired; ask for a new one');
    end if;
end
$$;

-- Spend a one-time token: its account, or the error check_account_token gives.
create function api_private.use_account_token(token_hash bytea, purpose text) returns uuid
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    account uuid;
begin
    perform 1 from account_tokens t where t.token_hash = use_account_token.token_hash for update;
    perform api_private.check_account_token(token_hash, purpose);
    update account_tokens t set used_at = now() where t.token_hash = use_account_token.token_hash
    returning t.user_id into account;
    return account;
end
$$;

-- A password reset (account recovery), all of it or nothing: the code is spent, the new hash
-- set, the account's other reset codes voided, every session ends, every API key is revoked
-- (whoever held the account may have made some), and every active webhook is paused for the
-- owner to check and resume (one made by the intruder's session would go on sending the
-- account's data to their endpoint).
create function api_private.reset_password(token_hash bytea, password_hash text) returns uuid
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    account uuid := api_private.use_account_token(token_hash, 'password_reset');
begin
    update users u set password_hash = reset_password.password_hash where u.id = account;
    update account_tokens t set used_at = now()
     where t.user_id = account and t.purpose = 'password_reset' and t.used_at is null;
    perform api_private.revoke_sessions(account, null, 'the password was reset');
    update api_keys k set revoked_at = now() where k.user_id = account and k.revoked_at is null;
    update webhook_subscriptions w
       set status = 'paused', paused_reason = 'the password was reset: check the webhook, then resume it'
     where w.user_id = account and w.status = 'active';
    return account;
end
$$;

create function api_private.verify_email(account uuid) returns void
language sql volatile security definer set search_path = public, pg_temp as $$
    update users u set email_verified_at = coalesce(u.email_verified_at, now()) where u.id = account;
$$;

-- Messages waiting for a sender (python -m gql outbox), oldest first; and marking them sent.
create function api_private.pending_messages(p_limit integer) returns setof outbox_messages
language sql stable security definer set search_path = public, pg_temp as $$
    select * from outbox_messages m where m.sent_at is null order by m.id limit p_limit
$$;

create function api_private.mark_sent(ids bigint[]) returns integer
language sql volatile security definer set search_path = public, pg_temp as $$
    with sent as (update outbox_messages m set sent_at = now() where m.id = any(ids) and m.sent_at is null
                  returning 1)
    select count(*)::integer from sent
$$;

-- The signed-in user's sessions (api.me's sessions), newest first, the live ones only.
create function api.my_sessions()
returns table (id uuid, created_at timestamptz, last_used_at timestamptz, expires_at timestamptz, device text)
language sql stable security definer set search_path = public, pg_temp as $$
    select s.id, s.created_at, s.last_used_at, s.expires_at, s.device from sessions s
     where s.user_id = api.current_user_id() and s.revoked_at is null and s.expires_at > now()
     order by s.created_at desc
     limit 100
$$;
