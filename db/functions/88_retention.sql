-- Retention: how long the directory keeps its raw, ever-growing records. Run by the periodic
-- upkeep in one process at a time (gql/postgres/maintenance.py), with the ages from the settings.
--   view and click events: the raw events; the daily rollups (and each day's visitor set) stay,
--     so every report reads the same before and after;
--   audit log: whole monthly partitions older than the months kept are dropped (and older rows
--     that fell into the default partition deleted);
--   security events (failed sign-ins, throttling) and idempotency keys (a retried creating
--     mutation's key): rows older than their age.
-- Events go in batches (at most `batch` rows of each table a round), so that a first run over
-- years of traffic is many short rounds, not one long transaction. Returns what it removed.
create function api_private.apply_retention(
    view_event_days integer, audit_months integer, security_event_days integer,
    idempotency_key_days integer, batch integer default 50000
) returns jsonb
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    removed jsonb := '{}';
    n bigint;
    events_before timestamptz := now() - make_interval(days => view_event_days);
    audit_from date := (date_trunc('month', now()) - make_interval(months => audit_months))::date;
    partition_name text;
begin
    delete from business_view_events where id in (
        select id from business_view_events where occurred_at < events_before limit batch);
    get diagnostics n = row_count;
    removed := removed || jsonb_build_object('view_events', n);
    delete from business_click_events where id in (
        select id from business_click_events where occurred_at < events_before limit batch);
    get diagnostics n = row_count;
    removed := removed || jsonb_build_object('click_events', n);

    n := 0;
    for partition_name in
        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
         where i.inhparent = 'audit_logs'::regclass and c.relname ~ '^audit_logs_\d{4}_\d{2}$'
           and to_date(substr(c.relname, 12), 'YYYY_MM') < audit_from
         order by c.relname
    loop
        begin
            -- Dropping a partition locks the audit log: writers wait at most this long, and a
            -- partition that cannot be had now goes in a later round.
            perform set_config('lock_timeout', '2s', true);
            execute format('drop table %I', partition_name);
            n := n + 1;
        exception when lock_not_available then
            raise notice 'audit partition % is busy; kept for a later round', partition_name;
        end;
    end loop;
    perform set_config('lock_timeout', '0', true);
    removed := removed || jsonb_build_object('audit_partitions', n);
    delete from audit_logs_default where created_at < audit_from;
    get diagnostics n = row_count;
    removed := removed || jsonb_build_object('audit_rows', n);

    delete from security_events where created_at < now() - make_interval(days => security_event_days);
    get diagnostics n = row_count;
    removed := removed || jsonb_build_object('security_events', n);
    delete from idempotency_keys where created_at < now() - make_interval(days => idempotency_key_days);
    get diagnostics n = row_count;
    removed := removed || jsonb_build_object('idempotency_keys', n);
    -- Account records past any use, after a week's grace (their tokens are refused anyway):
    -- ended sessions (their refresh tokens go with them), spent refresh tokens, one-time codes,
    -- invitations, and messages sent.
    delete from sessions where coalesce(revoked_at, expires_at) < now() - interval '7 days';
    get diagnostics n = row_count;
    removed := removed || jsonb_build_object('sessions', n);
    delete from refresh_tokens where rotated_at < now() - interval '7 days';
    get diagnostics n = row_count;
    removed := removed || jsonb_build_object('refresh_tokens', n);
    delete from account_tokens where coalesce(used_at, expires_at) < now() - interval '7 days';
    delete from manager_invitations
     where coalesce(accepted_at, revoked_at, expires_at) < now() - interval '7 days';
    delete from outbox_messages where sent_at < now() - interval '7 days';
    delete from webhook_deliveries where at < now() - interval '14 days';
    return removed;
end
$$;
