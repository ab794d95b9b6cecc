-- Webhooks (migration 0024): registered, listed, paused, resumed and deleted by their user
-- through api.*; the delivery worker (gql/webhooks/delivery.py, one per cluster at a time) reads and
-- updates them through api_private.*.

-- A new subscription starts at the change log's end: it gets what happens from now on. Its
-- selection, when given, was checked against the schema by the server (webhook_selection.py).
create function api.create_webhook(url text, topics text[], business_id uuid, secret_sealed bytea,
                                   selection text)
returns webhook_subscriptions
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('webhooks');
    made webhook_subscriptions;
begin
    if business_id is not null and not api.key_reaches(business_id) then
        perform api.raise_user_error('GQ403', 'businessId', 'this API key does not act for that business');
    end if;
    if (select count(*) from webhook_subscriptions w where w.user_id = me) >= 20 then
        perform api.raise_user_error('GQ429', null, 'at most 20 webhooks per account');
    end if;
    insert into webhook_subscriptions (user_id, api_key_id, url, topics, business_id, secret_sealed, cursor,
                                       selection)
    values (me, nullif(api.claims() ->> 'key', '')::uuid, url,
            array(select distinct t from unnest(topics) t order by t), business_id, secret_sealed,
            api_private.change_log_position(), selection)
    returning * into made;
    return made;
end
$$;

-- The user's webhooks; a key limited to businesses sees those registered with it only (as it
-- manages only those: set_webhook_state).
create function api.my_webhooks() returns setof webhook_subscriptions
language sql stable security definer set search_path = public, pg_temp as $$
    select * from webhook_subscriptions w
     where w.user_id = api.current_user_id()
       and (not api.claims() ? 'businesses' or w.api_key_id = (api.claims() ->> 'key')::uuid)
     order by w.created_at limit 20
$$;

-- Pause, resume (optionally from an earlier cursor still in the log), or delete one's own.
create function api.set_webhook_state(webhook_id uuid, active boolean, from_seq bigint, remove boolean)
returns webhook_subscriptions
language plpgsql volatile security definer set search_path = public, pg_temp
    set gql.writing = 'on' as $$
declare
    me uuid := api.require_writer('webhooks');
    changed webhook_subscriptions;
begin
    -- (a key limited to businesses manages the webhooks registered with it only)
    select * into changed from webhook_subscriptions w
     where w.id = webhook_id and w.user_id = me
       and (not (api.claims() ? 'businesses') or w.api_key_id = nullif(api.claims() ->> 'key', '')::uuid)
       for update;
    if not found then
        perform api.raise_user_error('GQ404', 'id', 'no such webhook');
    end if;
    if remove then
        delete from webhook_subscriptions w where w.id = webhook_id;
        return changed;
    end if;
    if from_seq is not null and (from_seq > api_private.change_log_position()
                                 or from_seq < (select h.pruned_through from change_log_horizon h)) then
        perform api.raise_user_error('GQ400', 'fromCursor', 'the cursor is not in the change log any more (or yet)');
    end if;
    update webhook_subscriptions w
       set status = case when active then 'active' else 'paused' end,
           paused_reason = case when active then null else 'paused by its owner' end,
           failures = 0, next_attempt_at = now(), cursor = coalesce(from_seq, w.cursor)
     where w.id = webhook_id returning * into changed;
    return changed;
end
$$;

create function api.webhook_deliveries(webhook_id uuid, p_first integer) returns setof webhook_deliveries
language sql stable security definer set search_path = public, pg_temp as $$
    select d.* from webhook_deliveries d join webhook_subscriptions w on w.id = d.subscription_id
     where d.subscription_id = webhook_id and w.user_id = api.current_user_id()
     order by d.id desc limit p_first
$$;

-- The worker's side. Active subscriptions whose turn has come, the oldest waiting first.
create function api_private.due_webhooks(p_limit integer) returns setof webhook_subscriptions
language sql stable security definer set search_path = public, pg_temp as $$
    select * from webhook_subscriptions w where w.status = 'active' and w.next_attempt_at <= now()
     order by w.next_attempt_at limit p_limit
$$;

-- One subscription, if it is active and due (a delivery drains it batch after batch).
create function api_private.due_webhook(webhook_id uuid) returns setof webhook_subscriptions
language sql stable security definer set search_path = public, pg_temp as $$
    select * from webhook_subscriptions w
     where w.id = webhook_id and w.status = 'active' and w.next_attempt_at <= now()
$$;

-- A batch acknowledged (2xx), or nothing to send in it: the cursor moves past it.
create function api_private.webhook_done(webhook_id uuid, p_from bigint, through bigint, p_first_seq bigint,
                                         p_events integer, p_status integer, p_latency_ms integer) returns void
language plpgsql volatile security definer set search_path = public, pg_temp as $$
begin
    update webhook_subscriptions w
       set cursor = through, failures = 0, next_attempt_at = now(),
           last_status = coalesce(p_status, w.last_status), last_error = null,
           last_attempt_at = case when p_status is null then w.last_attempt_at else now() end
     where w.id = webhook_id and w.status = 'active'
       and w.cursor = p_from;  -- (its owner may have moved it meanwhile: theirs wins)
    if p_status is not null then
        insert into webhook_deliveries (subscription_id, first_seq, last_seq, events, attempt, status, latency_ms)
        values (webhook_id, p_first_seq, through, p_events, 1, p_status, p_latency_ms);
    end if;
end
$$;

-- A failed attempt: retried after `retry_in`, or paused after `max_attempts` in a row.
create function api_private.webhook_failed(webhook_id uuid, p_from bigint, p_first_seq bigint, p_last_seq bigint,
                                           p_events integer, p_status integer, p_error text, p_latency_ms integer,
                                           retry_in interval, max_attempts integer) returns void
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    attempts integer;
begin
    update webhook_subscriptions w
       set failures = w.failures + 1, last_status = p_status, last_error = left(p_error, 300),
           last_attempt_at = now(), next_attempt_at = now() + retry_in
     where w.id = webhook_id and w.status = 'active' and w.cursor = p_from
    returning w.failures into attempts;
    if attempts >= max_attempts then
        update webhook_subscriptions w
           set status = 'paused',
               paused_reason = format('%s deliveries in a row failed; the last: %s', attempts,
                                      coalesce('HTTP ' || p_status, left(p_error, 200)))
         where w.id = webhook_id;
    end if;
    insert into webhook_deliveries (subscription_id, first_seq, last_seq, events, attempt, status, error, latency_ms)
    values (webhook_id, p_first_seq, p_last_seq, p_events, coalesce(attempts, 0), p_status, left(p_error, 300),
            p_latency_ms);
end
$$;
