-- Webhooks: a user (or their key with the webhooks scope) registers an endpoint for change-log
-- topics; a worker POSTs what the user may see, in order, from the subscription's cursor, which
-- moves only when the endpoint answers 2xx. The signing secret is sealed with the data key.
create table webhook_subscriptions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    api_key_id uuid references api_keys (id) on delete cascade,
    url text not null,
    topics text[] not null,
    business_id uuid references businesses (id) on delete cascade,
    secret_sealed bytea not null,
    cursor bigint not null,
    status text not null default 'active',
    paused_reason text,
    failures integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_status integer,
    last_error text,
    last_attempt_at timestamptz,
    created_at timestamptz not null default now(),
    constraint webhook_subscriptions_url_format check (url ~* '^https?://[^\s]+$' and char_length(url) <= 500),
    constraint webhook_subscriptions_topics_known check (
        cardinality(topics) > 0 and topics <@ array['business', 'review', 'category']::text[]),
    constraint webhook_subscriptions_status_known check (status in ('active', 'paused'))
);
create index webhook_subscriptions_due_idx on webhook_subscriptions (next_attempt_at) where status = 'active';
create index webhook_subscriptions_user_idx on webhook_subscriptions (user_id);

create table webhook_deliveries (
    id bigint generated always as identity primary key,
    subscription_id uuid not null references webhook_subscriptions (id) on delete cascade,
    first_seq bigint not null,
    last_seq bigint not null,
    events integer not null,
    attempt integer not null,
    status integer,
    error text,
    latency_ms integer,
    at timestamptz not null default now()
);
create index webhook_deliveries_subscription_idx on webhook_deliveries (subscription_id, id);

alter table webhook_subscriptions enable row level security;
alter table webhook_deliveries enable row level security;
