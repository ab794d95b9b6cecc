-- Compiled reads (gql/compiled): a GraphQL query turned into one SQL statement that returns
-- the finished `data` JSON, run in one round trip.

-- The opaque cursor of a row in a keyset-paged list: base64url (unpadded) of the JSON text
-- [order, sort key]. gql/resolvers/paging.py makes the same text for the interpreter, and
-- reads both.
create function api.page_cursor(sort_order text, sort_key jsonb) returns text
language sql immutable parallel safe as $$
    select translate(rtrim(encode(convert_to(jsonb_build_array(sort_order, sort_key)::text, 'UTF8'),
                                  'base64'), '='),
                     E'+/\n', '-_')
$$;

-- A timestamp as the interpreter writes it (Python's isoformat in UTC): microseconds in six
-- digits, or none when they are zero (PostgreSQL's own JSON drops trailing zeros instead).
create function api.iso_timestamp(t timestamptz) returns text
language sql stable parallel safe as $$
    select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
           || case when extract(microseconds from t)::bigint % 1000000 <> 0
                   then to_char(t at time zone 'UTC', '.US') else '' end
           || '+00:00'
$$;

-- Run a compiled statement (a read, or an analytics recorder's write) as a request: role,
-- claims and the statement in one call, in the caller's (autocommit) transaction, so the
-- role and claims end with it. The statement is
-- made by the server's compiler from a validated document: values come only as `params`
-- ($1, text[]), never in the text. Only the server's own role may call this (it lives in
-- api_private, which request roles cannot see), and it switches only to request roles.
--
-- Each distinct statement is prepared once per connection (a large one takes milliseconds to
-- plan), at most 100 of them: the oldest 50 go when that is reached. A prepared statement
-- holds a plan, no data; PostgreSQL re-plans it when the role it was planned for changes.
create function api_private.run_compiled(request_role text, claims text, client_id text,
                                          statement text, params text[])
returns text
language plpgsql volatile as $$
declare
    prepared text := 'gql_compiled_' || md5(statement);
    result text;
begin
    if request_role not in ('gql_anonymous', 'gql_user', 'gql_admin') then
        raise exception 'run_compiled switches only to request roles, not %', request_role;
    end if;
    if not exists (select 1 from pg_prepared_statements p where p.name = prepared) then
        if (select count(*) from pg_prepared_statements p where p.name like 'gql\_compiled\_%') >= 100 then
            for prepared in select p.name from pg_prepared_statements p
                             where p.name like 'gql\_compiled\_%' order by p.prepare_time limit 50 loop
                execute format('deallocate %I', prepared);
            end loop;
            prepared := 'gql_compiled_' || md5(statement);
        end if;
        execute format('prepare %I(text[]) as %s', prepared, statement);
    end if;
    perform set_config('role', request_role, true);
    perform set_config('request.jwt.claims', claims, true);
    perform set_config('gql.client_id', client_id, true);
    perform set_config('TimeZone', 'UTC', true);  -- timestamps as the interpreter writes them
    execute format('execute %I(%L)', prepared, params) into result;
    return result;
end
$$;
