-- Request roles read the change log's public columns, under its row-level policy
-- (db/functions/90_policies.sql): the compiled catch-up page (Query.changes) reads it as the
-- request's role. Who made a change (actor_id, client_id) and who could see its object
-- before (was_public, stakeholders) are not granted.
grant select (seq, topic, entity, entity_id, business_id, op, at) on change_log
    to gql_anonymous, gql_user, gql_admin;
