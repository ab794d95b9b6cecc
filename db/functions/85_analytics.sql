-- Recording views and clicks, keeping the daily rollups, and reading an owner's report.
-- Security definer: anonymous visitors record events, and only these functions touch the
-- event and rollup tables (a report checks that the caller runs the business).

-- Events one visitor may record per minute, over all businesses.
create function api_private.visitor_event_limit() returns integer
language sql immutable parallel safe as $$ select 120 $$;

create function api_private.check_event_allowed(business_id uuid, visitor_id text) returns void
language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
    if not exists (select 1 from businesses b where b.id = business_id
                     and b.status = 'active' and b.deleted_at is null) then
        perform api.raise_user_error('GQ404', 'businessId', 'no such business');
    end if;
    if (select count(*) from business_view_events e
         where e.visitor_id = check_event_allowed.visitor_id and e.occurred_at > now() - interval '1 minute')
       + (select count(*) from business_click_events e
           where e.visitor_id = check_event_allowed.visitor_id and e.occurred_at > now() - interval '1 minute')
       >= api_private.visitor_event_limit() then
        perform api.raise_user_error('GQ429', 'visitorId',
            format('at most %s events a minute per visitor', api_private.visitor_event_limit()));
    end if;
end
$$;

-- Returns true when the view was counted, false when it repeated a clientEventId.
create function api.record_business_view(
    p_business_id uuid, p_visitor_id text, p_referrer text, p_time_on_page integer,
    p_bounced boolean, p_client_event_id text, p_at timestamptz default now()
) returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    event_id bigint;
    event_day date := (p_at at time zone 'UTC')::date;
    new_visitor boolean;
begin
    perform api_private.check_event_allowed(p_business_id, p_visitor_id);
    insert into business_view_events (business_id, visitor_id, referrer, time_on_page_seconds, bounced,
                                      client_event_id, occurred_at)
    values (p_business_id, p_visitor_id, nullif(btrim(p_referrer), ''), p_time_on_page,
            coalesce(p_bounced, false), p_client_event_id, p_at)
    on conflict (business_id, client_event_id) where client_event_id is not null do nothing
    returning id into event_id;
    if event_id is null then
        return false;
    end if;
    insert into business_daily_visitors values (p_business_id, event_day, p_visitor_id) on conflict do nothing;
    new_visitor := found;
    insert into business_daily_stats as s (business_id, day, views, unique_visitors, time_on_page_total,
                                           time_on_page_count, bounces)
    values (p_business_id, event_day, 1, new_visitor::integer, coalesce(p_time_on_page, 0),
            (p_time_on_page is not null)::integer, coalesce(p_bounced, false)::integer)
    on conflict (business_id, day) do update
       set views = s.views + 1,
           unique_visitors = s.unique_visitors + excluded.unique_visitors,
           time_on_page_total = s.time_on_page_total + excluded.time_on_page_total,
           time_on_page_count = s.time_on_page_count + excluded.time_on_page_count,
           bounces = s.bounces + excluded.bounces;
    if nullif(btrim(p_referrer), '') is not null then
        insert into business_daily_referrers as r (business_id, day, referrer, views)
        values (p_business_id, event_day, btrim(p_referrer), 1)
        on conflict (business_id, day, referrer) do update set views = r.views + 1;
    end if;
    return true;
end
$$;

create function api.record_business_click(
    p_business_id uuid, p_visitor_id text, p_kind text, p_client_event_id text,
    p_at timestamptz default now()
) returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    event_id bigint;
    event_day date := (p_at at time zone 'UTC')::date;
begin
    perform api_private.check_event_allowed(p_business_id, p_visitor_id);
    insert into business_click_events (business_id, visitor_id, kind, client_event_id, occurred_at)
    values (p_business_id, p_visitor_id, p_kind, p_client_event_id, p_at)
    on conflict (business_id, client_event_id) where client_event_id is not null do nothing
    returning id into event_id;
    if event_id is null then
        return false;
    end if;
    insert into business_daily_stats as s (business_id, day, calls, website_clicks, directions, shares, saves)
    values (p_business_id, event_day, (p_kind = 'call')::integer, (p_kind = 'website')::integer,
            (p_kind = 'directions')::integer, (p_kind = 'share')::integer, (p_kind = 'save')::integer)
    on conflict (business_id, day) do update
       set calls = s.calls + excluded.calls, website_clicks = s.website_clicks + excluded.website_clicks,
           directions = s.directions + excluded.directions, shares = s.shares + excluded.shares,
           saves = s.saves + excluded.saves;
    return true;
end
$$;

-- The owner's report for [p_from, p_to] (UTC days), or an error when the caller does not
-- run the business (owner, manager, administrator).
create function api.business_analytics(p_business_id uuid, p_from date, p_to date) returns jsonb
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    report jsonb;
begin
    -- A business the caller may not see is answered as an unknown one (a hidden draft's id
    -- is not confirmed); one they see but do not run is refused.
    if not exists (select 1 from businesses b where b.id = p_business_id and b.deleted_at is null
                     and (b.status = 'active' or api.manages_business(b.id) or api.has_role('admin'))) then
        perform api.raise_user_error('GQ404', 'businessId', 'no such business');
    end if;
    if not (api.manages_business(p_business_id) or api.has_role('admin')) then
        perform api.raise_user_error('GQ403', 'businessId', 'only the owner or a manager sees analytics');
    end if;
    with stats as (
        select * from business_daily_stats s
         where s.business_id = p_business_id and s.day between p_from and p_to
    ),
    totals as (
        select coalesce(sum(views), 0) as views, coalesce(sum(calls), 0) as calls,
               coalesce(sum(website_clicks), 0) as website, coalesce(sum(directions), 0) as directions,
               coalesce(sum(shares), 0) as shares, coalesce(sum(saves), 0) as saves,
               coalesce(sum(time_on_page_total), 0) as time_total, coalesce(sum(time_on_page_count), 0) as time_count,
               coalesce(sum(bounces), 0) as bounces
          from stats
    ),
    reviews as (
        select r.rating, r.created_at from business_reviews r
         where r.business_id = p_business_id and r.status = 'published' and r.deleted_at is null
           and (r.created_at at time zone 'UTC')::date between p_from and p_to
    )
    select jsonb_build_object(
        'views', t.views,
        'unique_visitors', (select count(distinct v.visitor_id) from business_daily_visitors v
                             where v.business_id = p_business_id and v.day between p_from and p_to),
        'average_time_on_page', case when t.time_count > 0 then t.time_total::float8 / t.time_count end,
        'bounce_rate', case when t.views > 0 then t.bounces::float8 / t.views end,
        'clicks', jsonb_build_object('call', t.calls, 'website', t.website, 'directions', t.directions,
                                     'share', t.shares, 'save', t.saves),
        'click_through_rate', case when t.views > 0
                                   then (t.calls + t.website + t.directions)::float8 / t.views end,
        'daily', (select coalesce(jsonb_agg(jsonb_build_object(
                          'day', d.day, 'views', coalesce(s.views, 0),
                          'unique_visitors', coalesce(s.unique_visitors, 0),
                          'clicks', coalesce(s.calls + s.website_clicks + s.directions + s.shares + s.saves, 0))
                          order by d.day), '[]')
                    from generate_series(p_from, p_to, interval '1 day') as g(at)
                    cross join lateral (select g.at::date as day) d
                    left join stats s on s.day = d.day),
        'referrers', (select coalesce(jsonb_agg(jsonb_build_object('referrer', x.referrer, 'views', x.views)
                                                order by x.views desc, x.referrer), '[]')
                        from (select r.referrer, sum(r.views)::integer as views from business_daily_referrers r
                               where r.business_id = p_business_id and r.day between p_from and p_to
                               group by r.referrer order by 2 desc, 1 limit 10) x),
        'rating_distribution', (select jsonb_agg(jsonb_build_object(
                                    'rating', n, 'count', (select count(*) from reviews rv where rv.rating = n))
                                    order by n desc) from generate_series(1, 5) n),
        'weekly', (select coalesce(jsonb_agg(jsonb_build_object(
                          'week', w.week, 'reviews', w.reviews, 'average_rating', w.average) order by w.week), '[]')
                     from (select date_trunc('week', rv.created_at at time zone 'UTC')::date as week,
                                  count(*) as reviews, round(avg(rv.rating), 2)::float8 as average
                             from reviews rv group by 1) w)
    ) into report
    from totals t;
    return report;
end
$$;
