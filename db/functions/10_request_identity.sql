-- Who is asking: read from the transaction-local claims set by the server per request.

create function api.claims() returns jsonb
language sql stable parallel safe as $$
    select coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
$$;

create function api.current_user_id() returns uuid
language sql stable parallel safe as $$
    select nullif(api.claims() ->> 'sub', '')::uuid
$$;

create function api.has_role(role_name text) returns boolean
language sql stable parallel safe as $$
    select coalesce(api.claims() -> 'roles' ? role_name, false)
$$;
