alter table businesses
    add column view_count bigint not null default 0,
    add column click_count bigint not null default 0,
    add column save_count bigint not null default 0,
    add column share_count bigint not null default 0;
update businesses b
   set view_count = t.views, click_count = t.clicks, save_count = t.saves, share_count = t.shares
  from (select business_id, sum(views) as views, sum(calls + website_clicks + directions) as clicks,
               sum(saves) as saves, sum(shares) as shares
          from business_daily_stats group by business_id) t
 where t.business_id = b.id;
