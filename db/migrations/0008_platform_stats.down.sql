drop table if exists business_stats_refreshed;
drop materialized view if exists business_stats;
