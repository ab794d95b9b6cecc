alter table user_roles disable row level security;
alter table users disable row level security;
alter table business_managers disable row level security;
alter table review_votes disable row level security;
alter table review_responses disable row level security;
alter table business_reviews disable row level security;
alter table businesses disable row level security;
alter table categories disable row level security;

revoke all
    on users, user_roles, categories, businesses, business_managers, business_reviews,
       review_responses, review_votes
    from gql_anonymous, gql_user, gql_admin;
revoke usage on schema public from gql_anonymous, gql_user, gql_admin;

do $$
declare
    p record;
begin
    for p in select policyname, tablename from pg_policies where schemaname = 'public' loop
        execute format('drop policy %I on %I', p.policyname, p.tablename);
    end loop;
end
$$;
