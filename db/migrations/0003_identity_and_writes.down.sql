revoke all on businesses, business_reviews, review_responses, review_votes, business_managers
    from gql_user;
revoke update (display_name, avatar_url) on users from gql_user;
grant select on categories, businesses, business_reviews, review_responses to gql_user;

drop table if exists audit_logs;
drop table if exists security_events;
drop table if exists idempotency_keys;
drop table if exists review_flags;

alter table review_responses drop constraint review_responses_content_blank;
alter table business_reviews drop constraint business_reviews_content_blank;
alter table users drop constraint users_display_name_blank;
alter table categories drop constraint categories_name_blank;
alter table businesses drop constraint businesses_name_blank;
