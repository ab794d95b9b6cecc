-- The request roles belong to the whole server, not to one database, so no dump carries
-- them: a restore onto a new server makes them first (gql/__main__.py restore). Migration
-- 0002 made them originally (applied migrations are never edited); this is the same
-- statement, kept for servers that have never run it.
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
