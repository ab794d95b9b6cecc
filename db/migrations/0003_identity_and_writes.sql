-- Identity and writes: review flags, idempotency keys, security events, the audit log, and
-- the privileges signed-in users need. Who may touch which rows is decided by the RLS
-- policies in db/functions; these grants only open the doors the policies then guard.

-- A business name must have something besides spaces.
alter table businesses add constraint businesses_name_blank check (name ~ '\S');
alter table categories add constraint categories_name_blank check (name ~ '\S');
alter table users add constraint users_display_name_blank check (display_name ~ '\S');
alter table business_reviews add constraint business_reviews_content_blank check (content ~ '\S');
alter table review_responses add constraint review_responses_content_blank check (content ~ '\S');

-- One flag per user per review; enough of them hide the review until a moderator decides.
create table review_flags (
    review_id uuid not null references business_reviews (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    reason text not null,
    created_at timestamptz not null default now(),
    primary key (review_id, user_id),
    constraint review_flags_reason_length check (char_length(reason) between 1 and 500)
);
create index review_flags_user_idx on review_flags (user_id);

-- A creating mutation retried with the same key returns what the first call created.
create table idempotency_keys (
    user_id uuid not null references users (id) on delete cascade,
    key text not null,
    operation text not null,
    result_id uuid,
    created_at timestamptz not null default now(),
    primary key (user_id, key),
    constraint idempotency_keys_key_length check (char_length(key) between 1 and 200)
);

-- Sign-ins that failed, throttled attempts and the like, for throttling and for people.
create table security_events (
    id bigint generated always as identity primary key,
    kind text not null,
    email text,
    client_address text,
    user_id uuid references users (id) on delete set null,
    details jsonb not null default '{}',
    created_at timestamptz not null default now()
);
create index security_events_email_idx on security_events (lower(email), created_at) where email is not null;
create index security_events_address_idx on security_events (client_address, created_at)
    where client_address is not null;

-- Every change to businesses, reviews, responses and categories, partitioned by month.
-- Partitions are made ahead of time (api.ensure_audit_partitions); the default partition
-- catches any month that was missed, so a write never fails for want of one.
create table audit_logs (
    id bigint generated always as identity,
    table_name text not null,
    record_id uuid not null,
    action text not null,
    user_id uuid,
    old_values jsonb,
    new_values jsonb,
    changed_fields text[],
    created_at timestamptz not null default now(),
    primary key (id, created_at),
    constraint audit_logs_action_known check (action in ('INSERT', 'UPDATE', 'DELETE'))
) partition by range (created_at);
create table audit_logs_default partition of audit_logs default;
create index audit_logs_record_idx on audit_logs (table_name, record_id, created_at);

-- Signed-in users write through RLS; anonymous requests only read.
grant select, insert, update on businesses, business_reviews, review_responses to gql_user;
grant select, insert, update, delete on review_votes to gql_user;
grant select, insert on review_flags to gql_user;
grant select, insert, delete on business_managers to gql_user;
grant select, insert, update on idempotency_keys to gql_user, gql_admin;
grant update (display_name, avatar_url) on users to gql_user;
grant select, insert, update, delete on review_flags to gql_admin;
grant select on audit_logs, security_events to gql_admin;

alter table review_flags enable row level security;
alter table idempotency_keys enable row level security;
alter table security_events enable row level security;
alter table audit_logs enable row level security;
