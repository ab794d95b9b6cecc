-- The roles a request runs as (DESIGN rule 5). The server logs in as its own role (the
-- authenticator) and switches per transaction with set_config('role', ..., true); RLS
-- policies (db/functions/policies) govern what each role sees.
-- Roles belong to the whole server, not to this database: they are created only when
-- missing and the down migration leaves them in place for other databases that use them.

do $$
declare
    r text;
begin
    foreach r in array array['gql_anonymous', 'gql_user', 'gql_admin'] loop
        if not exists (select 1 from pg_roles where rolname = r) then
            execute format('create role %I nologin noinherit', r);
        end if;
        if not pg_has_role(current_user, r, 'member') then
            execute format('grant %I to %I', r, current_user);
        end if;
    end loop;
end
$$;

grant usage on schema public to gql_anonymous, gql_user, gql_admin;

grant select on categories, businesses, business_reviews, review_responses
    to gql_anonymous, gql_user;
grant select (id, display_name, avatar_url, created_at, deleted_at) on users to gql_anonymous, gql_user;
grant select, insert, update, delete
    on users, user_roles, categories, businesses, business_managers, business_reviews,
       review_responses, review_votes
    to gql_admin;

alter table categories enable row level security;
alter table businesses enable row level security;
alter table business_reviews enable row level security;
alter table review_responses enable row level security;
alter table review_votes enable row level security;
alter table business_managers enable row level security;
alter table users enable row level security;
alter table user_roles enable row level security;
