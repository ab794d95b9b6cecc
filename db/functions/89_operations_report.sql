-- The operators' view of the database (administrators only): the slowest statements by mean
-- time, index use, table sizes and dead rows (a bloat estimate), connections by application
-- and state. Statements are named by their query id and the api functions they call, never
-- by their text (clients never see SQL).
create function api.operations_report(p_limit integer) returns jsonb
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    statements jsonb;
    counting boolean := to_regclass('public.pg_stat_statements') is not null
                        and current_setting('shared_preload_libraries') like '%pg_stat_statements%';
begin
    perform api.require_admin();
    if counting then
        execute $q$
            select coalesce(jsonb_agg(jsonb_build_object(
                       'query_id', s.queryid::text,
                       'functions', array(select distinct m[1]
                                            from regexp_matches(s.query, '(api(?:_private)?\.\w+)\(', 'g') m
                                           order by 1),
                       'calls', s.calls, 'mean_ms', round(s.mean_exec_time::numeric, 3),
                       'total_ms', round(s.total_exec_time::numeric, 1), 'rows', s.rows)
                   order by s.mean_exec_time desc), '[]')
              from (select * from public.pg_stat_statements s
                     where s.dbid = (select oid from pg_database where datname = current_database())
                       and s.queryid is not null  -- (hidden without pg_read_all_stats)
                     order by s.mean_exec_time desc limit $1) s $q$
        into statements using p_limit;
    end if;
    return jsonb_build_object(
        'statement_statistics', counting,
        'slow_statements', coalesce(statements, '[]'),
        'indexes', (select coalesce(jsonb_agg(jsonb_build_object(
                        'table', i.relname, 'index', i.indexrelname, 'scans', i.idx_scan,
                        'size_bytes', pg_relation_size(i.indexrelid)) order by i.idx_scan, i.indexrelname), '[]')
                      from pg_stat_user_indexes i where i.schemaname = 'public'),
        'tables', (select coalesce(jsonb_agg(jsonb_build_object(
                       'table', t.relname, 'live_rows', t.n_live_tup, 'dead_rows', t.n_dead_tup,
                       'size_bytes', pg_total_relation_size(t.relid),
                       'last_autovacuum', t.last_autovacuum) order by pg_total_relation_size(t.relid) desc), '[]')
                     from pg_stat_user_tables t where t.schemaname = 'public'),
        'connections', (select coalesce(jsonb_agg(jsonb_build_object(
                            'application', c.application, 'state', c.state, 'count', c.n)
                            order by c.n desc, c.application, c.state), '[]')
                          from (select coalesce(nullif(a.application_name, ''), '(none)') as application,
                                       coalesce(a.state, 'background') as state, count(*) as n
                                  from pg_stat_activity a where a.datname = current_database()
                                 group by 1, 2) c));
end
$$;

-- What /metrics reads at each scrape (gql/observability/metrics.py), for the server's own role only: the
-- database's size, its block reads served by the buffer cache and not, connections by state
-- (another role's sessions show no state to this one: 'other role').
create function api_private.database_figures() returns jsonb
language sql stable set search_path = public, pg_temp as $$
    select jsonb_build_object(
        'size_bytes', pg_database_size(current_database()),
        'blocks_hit', (select d.blks_hit from pg_stat_database d where d.datname = current_database()),
        'blocks_read', (select d.blks_read from pg_stat_database d where d.datname = current_database()),
        'webhooks', (select jsonb_build_object(
                         'paused', count(*) filter (where w.status = 'paused'),
                         'lag_events', coalesce(max(api_private.change_log_position() - w.cursor)
                                                filter (where w.status = 'active'), 0),
                         'lag_seconds', coalesce(extract(epoch from max(now() - (
                             select e.at from change_log e where e.seq > w.cursor order by e.seq limit 1))
                             filter (where w.status = 'active')), 0))
                       from webhook_subscriptions w),
        'connections', (select coalesce(jsonb_object_agg(c.state, c.n), '{}')
                          from (select case when a.backend_type <> 'client backend' then 'background'
                                            else coalesce(a.state, 'other role') end as state,
                                       count(*) as n
                                  from pg_stat_activity a where a.datname = current_database()
                                 group by 1) c))
$$;
