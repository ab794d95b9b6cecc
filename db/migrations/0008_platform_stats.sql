-- Platform statistics for administrators: the business_stats materialized view of B1.1
-- (reviews, rating, recent activity per business), refreshed concurrently on a schedule by
-- one server process at a time (see gql/maintenance.py).

create materialized view business_stats as
select b.id, b.name, b.city, b.state, b.primary_category_id,
       count(r.id) filter (where r.status = 'published' and r.deleted_at is null)::integer as review_count,
       avg(r.rating) filter (where r.status = 'published' and r.deleted_at is null) as avg_rating,
       count(r.id) filter (where r.status = 'published' and r.deleted_at is null
                             and r.created_at > now() - interval '30 days')::integer as recent_reviews,
       coalesce((select sum(s.views) from business_daily_stats s
                  where s.business_id = b.id and s.day > current_date - 30), 0)::integer as views_30d
  from businesses b
  left join business_reviews r on r.business_id = b.id
 where b.deleted_at is null
 group by b.id
with data;
create unique index business_stats_id_idx on business_stats (id);

create table business_stats_refreshed (
    id boolean primary key default true check (id),
    refreshed_at timestamptz not null default now()
);
insert into business_stats_refreshed default values;
