drop table if exists business_daily_referrers;
drop table if exists business_daily_visitors;
drop table if exists business_daily_stats;
drop table if exists business_click_events;
drop table if exists business_view_events;
