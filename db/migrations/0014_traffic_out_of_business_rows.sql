-- Traffic counters leave the business row. Each recorded view updated its business: a row
-- lock per view, a new version of a wide row (every index, the search ones included, when
-- the page had no room), and the row triggers run for it. The daily rollups
-- (business_daily_stats) already hold the same counts, exactly: all-time totals are their sum.
alter table businesses
    drop column view_count,
    drop column click_count,
    drop column save_count,
    drop column share_count;
