-- Administrators' view of the whole directory.

create function api_private.refresh_business_stats() returns void
language plpgsql volatile security definer set search_path = public, pg_temp as $$
begin
    refresh materialized view concurrently business_stats;
    update business_stats_refreshed set refreshed_at = now();
end
$$;

-- Weekly growth over [p_from, p_to] and the most active categories and cities (views in
-- the last 30 days plus recent reviews, from business_stats).
create function api.platform_stats(p_from date, p_to date) returns jsonb
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    report jsonb;
begin
    perform api.require_admin();
    with weeks as (
        select generate_series(date_trunc('week', p_from::timestamp), date_trunc('week', p_to::timestamp),
                               interval '1 week')::date as week
    )
    select jsonb_build_object(
        'refreshed_at', (select refreshed_at from business_stats_refreshed),
        'weekly', (select jsonb_agg(jsonb_build_object(
                       'week', w.week,
                       'businesses', (select count(*) from businesses b
                                       where date_trunc('week', b.created_at at time zone 'UTC')::date = w.week
                                         and (b.created_at at time zone 'UTC')::date between p_from and p_to),
                       'reviews', (select count(*) from business_reviews r
                                    where date_trunc('week', r.created_at at time zone 'UTC')::date = w.week
                                      and (r.created_at at time zone 'UTC')::date between p_from and p_to),
                       'users', (select count(*) from users u
                                  where date_trunc('week', u.created_at at time zone 'UTC')::date = w.week
                                    and (u.created_at at time zone 'UTC')::date between p_from and p_to))
                       order by w.week) from weeks w),
        'top_categories', (select coalesce(jsonb_agg(x order by x.activity desc, x.name), '[]') from (
                               select root.slug, root.name, sum(s.views_30d + s.recent_reviews)::integer as activity
                                 from business_stats s
                                 join categories c on c.id = s.primary_category_id
                                 join categories root on root.id = c.path[1]
                                group by root.slug, root.name
                                order by 3 desc, 2 limit 10) x),
        'top_cities', (select coalesce(jsonb_agg(x order by x.activity desc, x.city), '[]') from (
                           select s.city, s.state, sum(s.views_30d + s.recent_reviews)::integer as activity
                             from business_stats s
                            group by s.city, s.state
                            order by 3 desc, 1 limit 10) x)
    ) into report;
    return report;
end
$$;

-- Today's figures of one business, for the live dashboard (owner, manager, administrator).
create function api.analytics_now(p_business_id uuid) returns jsonb
language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
    if not (api.manages_business(p_business_id) or api.has_role('admin')) then
        perform api.raise_user_error('GQ403', 'businessId', 'only the owner or a manager sees analytics');
    end if;
    return (select jsonb_build_object(
                'views_today', coalesce(s.views, 0), 'unique_visitors_today', coalesce(s.unique_visitors, 0),
                'clicks_today', coalesce(s.calls + s.website_clicks + s.directions + s.shares + s.saves, 0),
                'total_views', (select coalesce(sum(a.views), 0) from business_daily_stats a
                                 where a.business_id = p_business_id))
              from businesses b
              left join business_daily_stats s on s.business_id = b.id
                                              and s.day = (now() at time zone 'UTC')::date
             where b.id = p_business_id);
end
$$;
