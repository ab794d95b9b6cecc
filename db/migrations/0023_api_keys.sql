-- API keys: servers act as a user without the user's password, within scopes and, if the key
-- names some, only for some of the user's businesses. The secret is shown once; only its
-- SHA-256 is kept. Usage is counted (in batches, by each API process).
create table api_keys (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    name text not null,
    prefix text not null,
    secret_hash bytea not null unique,
    scopes text[] not null,
    business_ids uuid[],
    created_at timestamptz not null default now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    request_count bigint not null default 0,
    constraint api_keys_name_length check (char_length(name) between 1 and 100),
    constraint api_keys_scopes_known check (
        cardinality(scopes) > 0 and scopes <@ array['read', 'write:business', 'write:review', 'webhooks']::text[]),
    constraint api_keys_business_ids_count check (cardinality(business_ids) between 1 and 100)
);
create index api_keys_user_idx on api_keys (user_id, created_at);
alter table api_keys enable row level security;  -- (through api functions only)
