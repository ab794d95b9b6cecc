-- The SQL code layer, split by exposure. `api`: the functions request roles may call (those
-- granted in 99_function_grants.sql; what they return is governed by RLS). `api_private`:
-- triggers, counters, pruning, partitions, log readers, login internals, maintenance; no
-- request role may even look up a name in it. Both are rebuilt from these files.
grant usage on schema api to gql_anonymous, gql_user, gql_admin;
revoke all on schema api_private from public;
